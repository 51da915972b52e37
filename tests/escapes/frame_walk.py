# Tries: climb from a generator's frame to the globals of the code that runs the program.
# expect: introspection
gen = (x for x in [1])
outer = gen.gi_frame.f_back
