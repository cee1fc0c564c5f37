"""300 short-lived threads that each allocate almost nothing: the estimate of everything
allocated must stay of the order of what thread start-up really allocates (~30 KB each),
not one sampling mean (256 KiB) per thread."""
import threading


def work():
    return [1, 2, 3]


for _ in range(300):
    t = threading.Thread(target=work)
    t.start()
    t.join()
