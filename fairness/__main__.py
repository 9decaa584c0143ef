"""Allow ``python -m fairness audit ...``."""

from fairness.cli import main

main()
