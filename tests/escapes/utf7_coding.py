# -*- coding: utf-7 -*-
# Tries: a UTF-7 coding cookie, so Blender reading the file sees a different program than the check.
# expect: encoding
x = 1  #+AAo-import os
