"""Limits shared by the channels and the dialogue; plain Python, imports neither Rasa nor the channels."""
from __future__ import annotations

import os

# The longest message the assistant reads (characters), in every channel and in the dialogue.
MAX_MESSAGE_CHARS = int(os.environ.get("ANSINH_MAX_MESSAGE_CHARS", "1000"))
