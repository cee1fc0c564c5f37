"""Wall mode: one line sleeps, one line computes."""
import time


def main():
    time.sleep(0.6)  # SLEEP_LINE
    total = 0
    for i in range(1_500_000):  # COMPUTE_LINE
        total += i
    return total


main()
