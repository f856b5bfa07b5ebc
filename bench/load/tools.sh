# Sourced by the load scripts of bench/load: makes sure wrk (installed with apt-get when
# missing and root) and the other tools they use are on PATH, else stops with a message.
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
