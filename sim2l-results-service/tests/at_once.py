"""Starting several requests at the same moment, for the tests of what they do together."""

import threading


def run_at_once(jobs: list) -> list:
    """Call every job of ``jobs`` (callables) in its own thread, released together by a barrier;
    the exceptions they raised."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job):
        barrier.wait()
        try:
            job()
        except Exception as error:  # noqa: BLE001 (collected and reported by the caller)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors
