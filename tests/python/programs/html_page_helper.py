"""Work for html_page.py's worker thread, in a second file (the hot lines filter by file)."""


def work():
    return sum(i * 3 for i in range(40_000))  # WORKER
