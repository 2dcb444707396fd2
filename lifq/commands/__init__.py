"""Sub-commands of ``lifq``; each module defines ``register(subparsers)``."""
