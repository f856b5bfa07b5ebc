# Sourced by the load scripts of bench/load: makes sure wrk (installed with apt-get when
# missing and root) and the other tools they use are on PATH, else stops with a message.
# Also defines what they measure a server with: cpu_ticks (a process's CPU) and ipis (the
# wake-ups of the load generator's core).
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        printf '\n== installing wrk (Debian package)\n' >&2
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "wrk is missing: apt-get install wrk" >&2
        exit 1
    fi
fi
for tool in cargo python3 taskset curl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done

cpu_ticks() { # utime + stime of every thread of process $1, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

ipis() { # rescheduling and function-call interrupts received by the load generator's core
    # ($LOAD_CPU): the server's core sends one whenever a response wakes wrk from its sleep
    awk -v col=$((LOAD_CPU + 2)) '$1 == "RES:" || $1 == "CAL:" {s += $col} END {print s + 0}' /proc/interrupts
}
