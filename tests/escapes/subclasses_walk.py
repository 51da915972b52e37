# Tries: the classic walk from a tuple to every loaded class and on to os.
# expect: dunder
for cls in ().__class__.__base__.__subclasses__():
    if cls.__name__ == "Popen":
        cls(["id"])
