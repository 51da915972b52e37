# Tries: vars() on a module to fetch private members by string (random imports os as _os).
# expect: forbidden-builtin
import random
os_module = vars(random)["_" + "os"]
