import sys

from tests.references import main

sys.exit(main())
