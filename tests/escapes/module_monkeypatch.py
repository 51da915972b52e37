# Tries: replace a math function so the next jobs in the same worker render wrongly.
# expect: module-state
import math
math.radians = lambda d: 0.0
