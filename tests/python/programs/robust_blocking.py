"""Blocking calls under a profiler: results and durations must be as without it, with no
EINTR leaking out. A CPU-burning thread keeps signals flowing meanwhile."""
import os
import queue
import select
import socket
import threading
import time

DELAY = 0.2
stop = threading.Event()


def burn():
    while not stop.is_set():
        sum(i * i for i in range(20_000))


def later(fn):
    t = threading.Timer(DELAY, fn)
    t.start()
    return t


def check(name, fn, expect_at_least=DELAY):
    begin = time.monotonic()
    result = fn()
    took = time.monotonic() - begin
    ok = expect_at_least - 0.005 <= took <= expect_at_least + 0.8
    print(f"{name}: {result!r} {'ok' if ok else f'BAD duration {took:.3f}'}")


def pipe_select():
    r, w = os.pipe()
    later(lambda: os.write(w, b"x"))
    ready, _, _ = select.select([r], [], [], 5)
    return ready == [r], os.read(r, 1)


def select_timeout():
    r, _ = os.pipe()
    return select.select([r], [], [], DELAY)


def pipe_read():
    r, w = os.pipe()
    later(lambda: os.write(w, b"data"))
    return os.read(r, 10)


def socket_roundtrip():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            request = conn.recv(4)
            time.sleep(DELAY)
            conn.sendall(request.upper())

    threading.Thread(target=serve).start()
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"ping")
        reply = client.recv(4)
    server.close()
    return reply


def socket_timeout():
    server = socket.create_server(("127.0.0.1", 0))
    with socket.create_connection(server.getsockname()) as client:
        client.settimeout(DELAY)
        try:
            return client.recv(1)
        except socket.timeout:
            return "timeout"
        finally:
            server.close()


def queue_get():
    try:
        return queue.Queue().get(timeout=DELAY)
    except queue.Empty:
        return "empty"


burner = threading.Thread(target=burn)
burner.start()
check("sleep", lambda: time.sleep(DELAY))
check("select", pipe_select)
check("select-timeout", select_timeout)
check("pipe-read", pipe_read)
check("socket", socket_roundtrip)
check("socket-timeout", socket_timeout)
check("queue", queue_get)
check("event", lambda: threading.Event().wait(DELAY))
check("sleep-short", lambda: [time.sleep(0.001) for _ in range(50)] and None, expect_at_least=0.05)
stop.set()
burner.join()
