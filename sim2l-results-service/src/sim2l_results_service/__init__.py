"""The sim2l results service: every registered run, searchable by its input and output values."""

from sim2l_results_service.app import create_app

__all__ = ["create_app"]
