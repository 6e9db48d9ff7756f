"""Test-wide settings.

TensorFlow's oneDNN kernels may round float32 matmuls differently from the
plain ones (CONVENTIONS.md §9); they are switched off here, before TensorFlow is
imported, so float32 tolerances measure the optimizers and not the kernels.
"""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
