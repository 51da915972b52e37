# Tries: call libc directly through ctypes.
# expect: import
from ctypes import CDLL
CDLL("libc.so.6").system(b"id")
