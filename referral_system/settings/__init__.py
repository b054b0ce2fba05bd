"""Settings: ``base`` holds everything; ``dev`` and ``production`` choose the defaults."""
