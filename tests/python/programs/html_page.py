"""The HTML report's test program: one hot line, a worker thread, and source text that would
run script if the report ever let it be parsed as HTML."""
# </script><script>window.__pyro_pwned = "comment"</script><!--
import sys
import threading
import time

import html_page_helper

HOSTILE = "</script><script>window.__pyro_pwned = 'string'</script><img src=x onerror=\"window.__pyro_pwned='img'\">"
MARKUP = "<b>bold</b> &amp; <!-- not a comment --> <iframe src=x></iframe> -->"


def hot_loop(seconds):
    total = 0
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        for i in range(20_000):
            total += i * i % 7  # HOT
    return total


def worker(stop):
    while not stop.is_set():
        html_page_helper.work()
        time.sleep(0.001)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 0.8
    stop = threading.Event()
    thread = threading.Thread(target=worker, args=(stop,), name="html-worker")
    thread.start()
    hot_loop(seconds)
    stop.set()
    thread.join()
    print(len(HOSTILE) + len(MARKUP))


if __name__ == "__main__":
    main()
