#!/usr/bin/env python3
"""Independent derivation of the expected outputs (.out files) of Tiny's example and
benchmark programs: each program is transliterated by hand into Python, whose ints and
IEEE doubles give the same results as Tiny's semantics (int / int is Python's //, % is
Python's %, float ops are IEEE double ops in the same order). Only the float *format*
differs from Python's repr, so `fmt_float` implements Tiny's documented format
(ECMAScript Number::toString, plus ".0" when it looks like an integer).

    python3 interpreters/tiny/reference/expected.py check   # compare with the .out files
    python3 interpreters/tiny/reference/expected.py write   # (re)write them

This file is documentation of how the .out files were derived; the tests never run it.
"""

import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.dirname(HERE)


# ---- Tiny's printing rules ----

def fmt_float(x):
    if x != x:
        return "nan"
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    s = js_number_to_string(x)
    return s if ("." in s or "e" in s) else s + ".0"


def js_number_to_string(x):
    """ECMAScript Number::toString(x) for finite non-zero x, from Python's shortest repr digits."""
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    if "e" in r:
        mant, exp = r.split("e")
        exp = int(exp)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = ip + fp
    n = len(ip) + exp  # decimal point position relative to the digits
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + es
    return sign + out


class Rec(dict):
    """A Tiny record (identity equality, insertion-ordered fields)."""
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __getattr__(self, k):
        return self[k]

    def __setattr__(self, k, v):
        self[k] = v


class Fn:
    def __init__(self, f):
        self.f = f
        self.name = f.__name__

    def __call__(self, *a):
        return self.f(*a)


def s(v, active=None):
    if v is None:
        return "None"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, Fn):
        return "<function " + v.name + ">"
    if isinstance(v, Rec):
        active = active or []
        if any(a is v for a in active):
            return "{...}"
        parts = [k + ": " + r(x, active + [v]) for k, x in v.items()]
        return "{" + ", ".join(parts) + "}"
    raise TypeError(v)


def r(v, active=None):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    return s(v, active)


def truthy(v):
    if isinstance(v, float) and v != v:
        return True
    if isinstance(v, (Rec, Fn)):
        return True
    return bool(v)


def teq(a, b):
    """Tiny's ==: numbers by value (not bools), strings by value, the rest by identity."""
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if num(a) and num(b):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is b


# ---- the programs ----

def intloop(out, n=200000):
    i = 0
    t = 0
    while i < n:
        t += i
        i += 1
    out(t)

    def sum_below(n):
        i = 0
        t = 0
        while i < n:
            t = t + i
            i = i + 1
        return t
    out(sum_below(n))
    out(sum_below(10))


def floatloop(out, n=100000, m=1000, hn=50000):
    i = 0
    total = 0.0
    sign = 1.0
    while i < n:
        total = total + sign / (2 * i + 1)
        sign = -sign
        i += 1
    out(4.0 * total)
    x = 1.0
    j = 0
    while j < m:
        x = x * 1.001 + 0.5
        j += 1
    out(x)

    def harmonic(n):
        h = 0.0
        k = 1
        while k <= n:
            h = h + 1.0 / k
            k += 1
        return h
    out(harmonic(hn))


def fib_prog(out, big=24):
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    for i in range(16):
        out(fib(i))
    out(fib(big))


def points(out, n=50000, m=20000):
    sx = sy = 0
    for i in range(n):
        p = Rec(x=i, y=i * 2)
        q = Rec(x=p.x + 1, y=p.y - 1)
        sx += q.x
        sy += q.y
    out(sx)
    out(sy)
    acc = Rec(x=0.0, y=0.0)
    step = Rec(x=0.5, y=-0.25)
    for _ in range(m):
        acc = Rec(x=acc.x + step.x, y=acc.y + step.y)
    out(acc)


def mandelbrot(out, h=24, w=64, limit=50):
    def mandel(cr, ci, limit):
        zr = zi = 0.0
        n = 0
        while n < limit:
            tr = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = tr
            if zr * zr + zi * zi > 4.0:
                return n
            n += 1
        return limit

    def shade(n, limit):
        if n >= limit:
            return "#"
        if n > 20:
            return "%"
        if n > 10:
            return "+"
        if n > 5:
            return "-"
        if n > 2:
            return "."
        return " "
    for y in range(h):
        line = ""
        for x in range(w):
            cr = -2.2 + 3.0 * x / w
            ci = -1.2 + 2.4 * y / h
            line += shade(mandel(cr, ci, limit), limit)
        out(line)


def nbody(out, steps=2000):
    PI = 3.141592653589793
    SOLAR_MASS = 4.0 * PI * PI
    DPY = 365.24

    def body(x, y, z, vx, vy, vz, mass):
        return Rec(x=x, y=y, z=z, vx=vx * DPY, vy=vy * DPY, vz=vz * DPY, mass=mass * SOLAR_MASS)
    sun = body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    jupiter = body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
                   1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
                   9.54791938424326609e-04)
    saturn = body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
                  -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
                  2.85885980666130812e-04)
    uranus = body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
                  2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
                  4.36624404335156298e-05)
    neptune = body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
                   2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
                   5.15138902046611451e-05)
    bodies = [sun, jupiter, saturn, uranus, neptune]
    pairs = [(a, b) for i, a in enumerate(bodies) for b in bodies[i + 1:]]

    def pair(a, b, dt):
        dx = a.x - b.x
        dy = a.y - b.y
        dz = a.z - b.z
        d2 = dx * dx + dy * dy + dz * dz
        mag = dt / (d2 * math.sqrt(d2))
        bm = b.mass * mag
        a.vx = a.vx - dx * bm
        a.vy = a.vy - dy * bm
        a.vz = a.vz - dz * bm
        am = a.mass * mag
        b.vx = b.vx + dx * am
        b.vy = b.vy + dy * am
        b.vz = b.vz + dz * am

    def move(b, dt):
        b.x = b.x + dt * b.vx
        b.y = b.y + dt * b.vy
        b.z = b.z + dt * b.vz

    def kinetic(b):
        return 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)

    def potential(a, b):
        dx = a.x - b.x
        dy = a.y - b.y
        dz = a.z - b.z
        return a.mass * b.mass / math.sqrt(dx * dx + dy * dy + dz * dz)

    def energy():
        e = kinetic(sun) + kinetic(jupiter) + kinetic(saturn) + kinetic(uranus) + kinetic(neptune)
        for a, b in pairs:  # same order as the Tiny program's chain of subtractions
            e = e - potential(a, b)
        return e

    px = sun.vx * sun.mass + jupiter.vx * jupiter.mass + saturn.vx * saturn.mass + uranus.vx * uranus.mass + neptune.vx * neptune.mass
    py = sun.vy * sun.mass + jupiter.vy * jupiter.mass + saturn.vy * saturn.mass + uranus.vy * uranus.mass + neptune.vy * neptune.mass
    pz = sun.vz * sun.mass + jupiter.vz * jupiter.mass + saturn.vz * saturn.mass + uranus.vz * uranus.mass + neptune.vz * neptune.mass
    sun.vx = -px / SOLAR_MASS
    sun.vy = -py / SOLAR_MASS
    sun.vz = -pz / SOLAR_MASS
    out(energy())
    for _ in range(steps):
        for a, b in pairs:
            pair(a, b, 0.01)
        for b in bodies:
            move(b, 0.01)
    out(energy())
    out(jupiter.x)


def strings(out, n=3000):
    t = ""
    for i in range(n):
        t = t + str(i % 10)
    out(len(t))
    line = ""
    for j in range(1, 13):
        line = line + str(j * j) + " "
    out(line)
    out("ab" * 5)
    out("[" + "-" * 20 + "]")
    out("tab:\there, quote: \" and 'single', backslash: \\")
    out('single-quoted with "double" inside')
    out("héllo wörld ✓ 😀")
    out(len("😀".encode("utf-16-le")) // 2)  # UTF-16 code units
    out("abc" < "abd")
    out("b" > "abc")
    out("x" + s(1) + s(2.5) + s(True) + s(None))
    out(s(1e100))
    out("" == "")
    out("hello, world")


def ifelse(out):
    def classify(n):
        if n < 0:
            return "negative"
        if n == 0:
            return "zero"
        if n < 10:
            return "small"
        return "large"
    for v in (-5, 0, 7, 100):
        out(classify(v))
    for v in (0, 1, -1, 0.0, -0.0, 0.1, "", "0", None, True, False, Rec(), Fn(classify)):
        out("true" if truthy(v) else "false")
    out("x > 2")
    out("not big")
    out("three")
    out("still three")
    for i in range(6):
        if i % 3 == 0:
            out(str(i) + " fizz")
        elif i % 3 == 2:
            out(str(i) + " other")


def calls(out):
    sq = lambda x: x * x
    out(sq(3) + sq(4))
    out(sq(sq(sq(2))))
    out(10 % 2 == 0)
    out(7 % 2 == 1)
    out(7 % 2 == 0)

    def ack(m, n):
        if m == 0:
            return n + 1
        if n == 0:
            return ack(m - 1, 1)
        return ack(m - 1, ack(m, n - 1))
    out(ack(2, 3))
    out(None)
    out(None)
    out(-1)
    out(81)
    out(144)
    out(1 + 4)
    out("<function square>")
    out(1000)
    out(900)
    out(sum(i * i % 7 for i in range(3000)))


def records(out):
    p = Rec(x=1, y=2)
    out(p)
    out(p.x + p.y)
    p.x = p.x + 1
    out(p.x)
    p.label = "origin-ish"
    out(p)
    q = p
    q.y = 40
    out(p.y)
    out(p is q)
    out(False)
    empty = Rec()
    out(empty)
    empty.a = 1
    empty.b = Rec(c=Rec(d="deep"))
    out(empty.b.c.d)
    empty.b.c.d = 3.5
    out(empty)
    out("multi-line")
    out(3)
    out(1 + 10)
    out(2 + 20)
    out(sum(range(5)))
    c = Rec(name="loop")
    c.me = c
    out(c)
    counter = Rec(hits=0, misses=0)
    for k in range(1000):
        if k % 4 == 0:
            counter.hits += 1
        else:
            counter.misses += 1
    out(counter)


def recursion(out):
    sys.setrecursionlimit(10000)
    for i in range(30):
        out(900 + i * 3)
    out(True)
    out(True)
    out(False)

    def tri(n):
        s = sum(range(n))
        return s if n == 0 else s + tri(n - 1)
    out(tri(300))
    out(sum(range(501)))
    out(sum(range(499)))

    def mixed(n):
        if n < 3:
            return n
        if n % 7 == 0:
            return mixed(n - 1) + 0.5
        return mixed(n - 1) + mixed(n - 3)
    for j in range(25):
        out(mixed(j))


def compare(out):
    nan = float("nan")
    inf = float("inf")
    f = Fn(lambda x: x)
    vals = [1 < 2, 2 < 1, 2 <= 2, 3 > 2, 2 >= 3, 1 == 1, 1 != 1, 1 < 1.5, 2.5 > 2, 2 == 2.0, 2.0 != 2, -0.0 == 0,
            "apple" < "banana", "apple" <= "apple", "Zebra" < "apple", "b" >= "ab", "a" == "a", "a" != "b",
            teq("1", 1), teq(None, None), not teq(None, False), teq(True, True), teq(True, 1), teq(0, False),
            1 + 1 == 2 and 2 * 2 != 5, nan == nan, nan != nan, nan < 1, nan >= 1, inf > 1e308, -inf < -1e308,
            teq(f, f), -3 < -2, 9007199254740991 > 9007199254740990]
    for v in vals:
        out(v)


def logic(out):
    lines = []

    def loud(name, v):
        out("eval " + name)
        return v

    def tand(a, b):  # b is a thunk
        return b() if truthy(a) else a

    def tor(a, b):
        return a if truthy(a) else b()
    out(tand(True, lambda: False))
    out(tor(True, lambda: False))
    out(False)
    out(True)
    out(True)
    out(False)
    out(tand(1, lambda: 2))
    out(tand(0, lambda: 2))
    out(tor(0, lambda: 2))
    out(tor(3, lambda: 4))
    out(tor(None, lambda: "default"))
    out(tand("", lambda: "never"))
    out(tand(loud("a", False), lambda: loud("b", True)))
    out(tor(loud("c", True), lambda: loud("d", False)))
    out(tor(tand(loud("e", 1), lambda: loud("f", 0)), lambda: loud("g", "last")))
    out(not (1 == 2))
    out(not (1 < 2 and 2 < 3))
    x = 5
    out(x > 0 and x < 10)
    out(x < 0 or (x > 3 and x < 4))
    i = hits = 0
    while i < 100 and hits < 10:
        if i % 3 == 0 or i % 5 == 0:
            hits += 1
        i += 1
    out(i)
    out(hits)


def arith(out):
    for v in [7, 7.0, 7 + 3, 7 - 10, 6 * 7, 7 // 2, -7 // 2, 7 // -2, -7 // -2, 7 % 3, -7 % 3, 7 % -3, -7 % -3,
              6 // 3, 0 // -5, 7.0 / 2, 7 / 2.0, 1 / 3.0, 2.0 / 3, 7.5 % 2, -7.5 % 2, 7.5 % -2, 6.0 % 3, -6.0 % 3,
              6.0 % -3, 1 + 2.0, 2.5 * 4, 0.1 + 0.2, -5, 5, -2.5, -0.0, 0.0 * -1, 0, 2 + 3 * 4, (2 + 3) * 4,
              2 - 3 - 4, 100 // 10 // 5, 2 * -3, 4, 9007199254740991, -9007199254740991, 9007199254740990 + 1,
              4503599627370495 * 2 + 1, 1e16, 1.5e300 * 1e10, 123456789.0 * 10, 1e21, 1e-6, 1e-7, 0.000123,
              100.0, 2.5e-3, 1 / 7.0, float(10) / 4, math.sqrt(2), math.sqrt(16), 3 * 1.1]:
        out(v)


def scopes(out):
    for v in [6, 100, 3, 15, 40, 1, 2, 42, 3, "defined inside an if", 2]:
        out(v)
    # A top-level loop adding, each time, a global that a function reads.
    total = only_here = 0
    for j in range(5):
        total += j
        only_here += total
    out(only_here)


def loops(out):
    out(sum(j for i in range(10) for j in range(i)))
    out(50)
    out(sum(n for n in range(1, 101) if n % 2 == 1))

    def primes_below(limit):
        count = 0
        for p in range(2, limit):
            d = 2
            prime = True
            while d * d <= p:
                if p % d == 0:
                    prime = False
                    break
                d += 1
            if prime:
                count += 1
        return count
    out(primes_below(2000))

    def collatz(n):
        steps = 0
        while n != 1:
            n = n // 2 if n % 2 == 0 else 3 * n + 1
            steps += 1
        return steps
    best = best_n = 0
    for m in range(1, 3000):
        c = collatz(m)
        if c > best:
            best, best_n = c, m
    out(best_n)
    out(best)
    out(5)


def builtins(out):
    out(str(42) + "!")
    out(s(4.0))
    out("s")
    out("None")
    out(s(Rec(a=1, b="two")))
    out(int(3.99))
    out(int(-3.99))
    out(int("  -17 "))
    out(12)
    out(3.0)
    out(2.5)
    out(-1e3)
    out(math.inf)
    out(-math.inf)
    out(7.0)
    out(0)
    out(5)
    out(math.sqrt(2.25))
    out(math.sqrt(0))
    out(float("nan"))
    out(9007199254740991)
    out("nested")
    out(None)


EXAMPLES = {
    "intloop": intloop, "floatloop": floatloop, "fib": fib_prog, "points": points, "mandelbrot": mandelbrot,
    "nbody": nbody, "strings": strings, "ifelse": ifelse, "calls": calls, "records": records,
    "compare": compare, "logic": logic, "arith": arith, "scopes": scopes, "loops": loops, "builtins": builtins,
    "recursion": recursion,
    "loop_recursion": lambda out: [out(991) for _ in range(5)],
    "bridge_stack": lambda out: out(sum(i % 2 for i in range(1000))),
}

BENCH = {
    "intloop": lambda out: intloop(out, n=25000000),
    "floatloop": lambda out: floatloop(out, n=15000000, m=1000, hn=15000000),
    "fib": lambda out: fib_prog(out, big=33),
    "points": lambda out: points(out, n=5000000, m=5000000),
    "mandelbrot": lambda out: mandelbrot(out, h=120, w=320, limit=1000),
    "nbody": lambda out: nbody(out, steps=400000),
    "strings": lambda out: strings(out, n=1000000),
}


def render(fn):
    lines = []
    fn(lambda v: lines.append(s(v)))
    return "".join(line + "\n" for line in lines).encode("utf-8")


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    only = set(sys.argv[2:])
    bad = 0
    for folder, table in (("examples", EXAMPLES), ("bench", BENCH)):
        for name, fn in table.items():
            if only and name not in only:
                continue
            path = os.path.join(TINY, folder, name + ".out")
            want = render(fn)
            if mode == "write":
                with open(path, "wb") as f:
                    f.write(want)
                print("wrote", path)
            else:
                have = open(path, "rb").read() if os.path.exists(path) else None
                ok = have == want
                bad += not ok
                print(("ok  " if ok else "DIFF"), folder + "/" + name)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
