import sys

from portrait.cli import main

sys.exit(main())
