# Tries: run code inside a parameter annotation, which Python evaluates when the def statement runs.
# expect: forbidden-builtin
def geometry(size: exec("import os") = 1.0):
    pass
