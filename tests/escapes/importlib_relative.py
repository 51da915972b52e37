# Tries: a relative import to reach a module next to the worker.
# expect: import
from . import worker_main
