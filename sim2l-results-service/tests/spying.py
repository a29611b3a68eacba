"""Watching which plan answered a search: a plan function that answers None passed it on."""

from sim2l_results_service import queries


def record_answers(monkeypatch, name: str) -> list[bool]:
    """Wrap ``queries.<name>`` so each call appends whether it answered (did not return None)."""
    answered: list[bool] = []
    plan = getattr(queries, name)

    def spy(*args, **kwargs):
        page = plan(*args, **kwargs)
        answered.append(page is not None)
        return page

    monkeypatch.setattr(queries, name, spy)
    return answered
