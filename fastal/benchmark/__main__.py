import sys

from fastal.benchmark.cli import main

sys.exit(main())
