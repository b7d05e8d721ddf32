"""The virtual clock's rows (README, The virtual clock): what counting instructions under -icount
costs in host time, against the same boots on the host clock alone, interleaved; the spread of each
marker on both clocks over the same boots; and the sensitivity of each clock to 100,000 instructions
added to one phase of the fixture (minix-fixture-work.elf), side by side. Imported by bench/run."""
import os
import shutil
import statistics
import subprocess
import time

PHASE = ('process_init', 'memory_init')  # the phase minix-fixture-work.elf makes longer


def cv(xs):
    return statistics.stdev(xs) / statistics.mean(xs) if len(xs) > 1 and statistics.mean(xs) else 0.0


def cost(build, work, guest, n, product_run, rotated):
    """{'host': [boot ms], 'virtual': [boot ms]} and the virtual runs, interleaved."""
    state = os.path.join(work, 'vclock-state')
    boots, runs = {'host': [], 'virtual': []}, []
    for i in range(n):
        for side in rotated(boots, i):
            run = product_run(build, state, guest, ['--clock', 'virtual'] if side == 'virtual' else [])
            assert run['status'] == 'succeeded', run['error']
            boots[side].append(run['boot_time_ms'])
            if side == 'virtual':
                runs.append(run)
    return boots, runs


def qemu_parts(build, work, fixture, n, rotated):
    """Where the cost is: QEMU alone booting the fixture to its power-off at login (fixture=exit),
    process start to exit, plain TCG, with -icount (and the fixed RTC), and with the plugin too."""
    base = ['qemu-system-i386', '-nodefaults', '-display', 'none', '-accel', 'tcg', '-m', '256', '-no-reboot',
            '-vga', 'std', '-kernel', fixture['kernel'], '-append', fixture['append'] + ' fixture=exit',
            '-device', 'isa-debug-exit,iobase=0xf4,iosize=4']
    out, log = os.path.join(work, 'parts.out'), os.path.join(work, 'parts.log')
    icount = ['-icount', 'shift=4,sleep=off', '-rtc', 'base=2020-01-01T00:00:00,clock=vm']
    plugin = os.path.join(build, 'programs', 'minix-analysis-vclock.so')
    sides = {
        'plain': ['-chardev', f'file,id=s0,path={out}', '-serial', 'chardev:s0'],
        'icount': ['-chardev', f'file,id=s0,path={out}', '-serial', 'chardev:s0', *icount],
        'plugin': ['-chardev', f'file,id=s0,path={out},logfile={log}', '-serial', 'chardev:s0', *icount,
                   '-plugin', f'{plugin},counts={work}/parts.counts,hits={work}/parts.hits,log={log}'],
    }
    times = {k: [] for k in sides}
    for i in range(n):
        for side in rotated(times, i):
            t = time.monotonic()
            p = subprocess.run(base + sides[side], capture_output=True, timeout=120)
            times[side].append((time.monotonic() - t) * 1000)
            assert p.returncode == 1, p.stderr  # isa-debug-exit: (0 << 1) | 1
    return times


def marker_spread(runs):
    """Per marker seen in every run: the CV of its host time and of its instruction count."""
    names = [m['name'] for m in runs[0]['markers']]
    out = []
    for name in names:
        host = [next(m['t_ms'] for m in r['markers'] if m['name'] == name) for r in runs]
        counted = [next(m['instructions'] for m in r['markers'] if m['name'] == name) for r in runs]
        if None in counted:
            continue
        out.append((name, cv(host), cv(counted), len(set(counted))))
    return out


def phase(run, field):
    at = {m['name']: m[field] for m in run['markers']}
    return at[PHASE[1]] - at[PHASE[0]]


def sensitivity(build, work, fixture, n, product_run, rotated):
    """The fixture and minix-fixture-work.elf, copied to paths of one length (the kernel's path is on
    its command line, which it parses), n boots each with symbols, interleaved: the phase in ms and in
    instructions, and the boot in both."""
    sides = {}
    for side, name in (('base', 'minix-fixture.elf'), ('work', 'minix-fixture-work.elf')):
        os.makedirs(os.path.join(work, side[0]), exist_ok=True)
        path = os.path.join(work, side[0], 'kernel.elf')
        shutil.copy(os.path.join(build, 'guests', name), path)
        sides[side] = dict(fixture, kernel=path)
    state = os.path.join(work, 'vclock-sens')
    runs = {'base': [], 'work': []}
    for i in range(n):
        for side in rotated(runs, i):
            run = product_run(build, state, sides[side], ['--clock', 'virtual', '--symbols'])
            assert run['status'] == 'succeeded', run['error']
            runs[side].append(run)
    return {side: dict(phase_ms=[phase(r, 't_ms') for r in rs], phase_insns=[phase(r, 'instructions') for r in rs],
                       boot_ms=[r['boot_time_ms'] for r in rs], boot_insns=[r['boot_instructions'] for r in rs])
            for side, rs in runs.items()}


def welch_t(a, b):
    """Welch's t of b's mean against a's: |t| well under 2 is a difference the noise hides."""
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    return (statistics.mean(b) - statistics.mean(a)) / (va + vb) ** 0.5 if va + vb else float('inf')
