"""No leak: 500 MB allocated once and kept, then 5 GB churned in temporaries."""
import sys
import time

MB = 1 << 20
kept = bytearray(500 * MB)  # KEPT_ONCE
deadline = time.monotonic() + 1.5
churned = 0
while time.monotonic() < deadline or churned < 5000 * MB:
    block = bytearray(10 * MB)  # CHURN_5G
    churned += len(block)
    del block
    if churned >= 5000 * MB and time.monotonic() >= deadline:
        break
print(churned // MB, len(kept) // MB, file=sys.stderr)
