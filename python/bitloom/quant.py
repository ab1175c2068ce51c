"""The quantisers of ``bitloom quant`` (docs/QUANT.md) over NumPy arrays.

Each function takes an array-like of floats and returns a :class:`Quantized` whose
``codes`` (uint8, the input's shape) go straight into a machine with
``Machine.write``, with the scales, zero-points, LUT or per-vector scales the kernel needs.

>>> import numpy as np
>>> from bitloom import quant
>>> q = quant.int(np.array([[1.0, -0.5], [0.25, 2.0]]), bits=8, axis=0)
>>> q.codes
array([[127, 192],
       [ 16, 127]], dtype=uint8)
>>> q.scales.round(6)
array([0.007874, 0.015748])
"""

from ._native import Quantized
from ._native import quant_cluster as cluster
from ._native import quant_int as int  # noqa: A001 - the format's name
from ._native import quant_log as log
from ._native import quant_lut as lut
from ._native import quant_uint as uint
from ._native import quant_vsq as vsq

__all__ = ["Quantized", "cluster", "int", "log", "lut", "uint", "vsq"]
