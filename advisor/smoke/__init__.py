"""The smoke test: load the chosen model in a child process, generate, and measure real peak memory
and speed against the estimate. ``runner`` drives the child; ``child`` is the only code that
imports torch and transformers."""
