"""Loop-top bias check: the loop header is cheap, the body line is expensive."""


def run(n):
    acc = 0
    for i in range(n):  # LOOP_TOP
        acc += (i * i + 3 * i - i // 7 + i % 5 + (i ^ 0x55) + (i << 2) - (i >> 1)) % 11  # LOOP_BODY
    return acc


print(run(3_000_000))
