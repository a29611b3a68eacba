"""Watching the service work: which plan answered a search (a plan function that answers None
passed it on), and which statements a module sent."""

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


def record_statements(monkeypatch, module, name: str) -> list[tuple[str, tuple]]:
    """Wrap ``module.<name>`` (``query`` or ``execute``) so each call appends its ``(sql,
    params)``; the statements still run."""
    statements: list[tuple[str, tuple]] = []
    run = getattr(module, name)

    def spy(sql, params=()):
        statements.append((sql, params))
        return run(sql, params)

    monkeypatch.setattr(module, name, spy)
    return statements
