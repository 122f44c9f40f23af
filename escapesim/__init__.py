"""escapesim: stochastic tumour–immune dynamics and tumour escape, served over gRPC.

The installed package has one namespace: :mod:`escapesim.engine` is the pure simulation
library (simpy + numpy + numba, no I/O), :mod:`escapesim.service` the gRPC service, its
client and the ``escapesim`` command. Importing this package imports neither.
"""

__version__ = "0.2.0"
