import sys

from pyrometer.cli import main

sys.exit(main())
