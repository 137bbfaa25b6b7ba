#!/usr/bin/env bash
# bench/suite.sh — Sibyl's standard benchmark suite (issue #5, item 3), run by
# `make bench`. On one machine, in one run, it:
#
#   1. records the machine (CPU model, cores, memory, disk, kernel, Go);
#   2. runs write, read and mixed workloads (and counter increments) against a `--backend null` node
#      (the protocol ceiling), a real single node, and raw Pebble with the
#      same record shapes (bench/cmd/pebblebench);
#   3. measures latency at half the maximum rate, open loop (latency from
#      each operation's intended start, so stalls count);
#   4. runs three local nodes on 127.0.0.1-3 at RF=3, QUORUM (skipped, with
#      the reason, when the cluster cannot be formed);
#   5. grows a data set step by step and reports write throughput and p99 at
#      each size;
#   6. measures secondary indexes on a single node: writes to tables with 0, 1
#      and 3 indexes (each on a fresh node), then, on the 3-index table, a
#      primary-key read beside an indexed point query (unique value) and an
#      indexed low-cardinality query (100 values, LIMIT 100);
#
# and writes BENCHMARKS.md with every command it ran and the tables (each
# with ratios against its first row: ratios are what matter on a shared
# machine; absolute numbers are context). Every run against Sibyl nodes is
# given the pids of the nodes then running (--server-pid), so each row also
# has the server CPU per operation, summed over the nodes, and the load on
# the machine at its start: CPU per operation is the figure other load on a
# shared machine disturbs least. It starts and stops every server it needs,
# keeps their data in a temporary directory, and removes it on any exit.
#
# `bench/suite.sh growth` (make bench-growth) runs only part 5, by default
# 20 steps of 1M rows (20M rows) within an hour's budget, and writes its own
# report, bench/GROWTH.md; at 25-30k writes/s on two cores the 20 steps
# take about 15-25 minutes, longer if compaction falls behind.
#
# Knobs (environment):
#   SIBYL_BIN             sibyl binary (default bin/sibyl, built by make bench)
#   BENCH_OUT             report file (default BENCHMARKS.md at the repository root)
#   BENCH_DIR             parent of the temporary work directory (default $TMPDIR or /tmp)
#   BENCH_DURATION        measured time of each time-bounded run (default 20s)
#   BENCH_WARMUP          warmup before each time-bounded run (default 5s)
#   BENCH_CONCURRENCY     requests in flight (default 128)
#   BENCH_ROWS            rows written by the single-node write run and read after (default 1000000)
#   BENCH_VALUE_SIZE      value bytes per row (default 100)
#   BENCH_CLUSTER_ROWS    rows written to the 3-node cluster (default 300000)
#   BENCH_GROWTH_STEPS    growth steps (default 20)
#   BENCH_GROWTH_STEP_ROWS rows per growth step (default 1000000)
#   BENCH_GROWTH_BUDGET   seconds the growth run may take; it stops after the step that crosses it
#                         (default 900; 3600 for `suite.sh growth`)
#   BENCH_GROWTH_COMPACTION_MBPS compaction throughput limit of the growth node, MB/s (default 0: unlimited)
#   BENCH_INDEX_ROWS      rows written to each table of the secondary index part (default 1000000)
#   BENCH_INDEX_CARDINALITY distinct values of the low-cardinality indexed column (default 100)
#   BENCH_PORT            CQL port of every node (default 9042)
#   BENCH_ADMIN_PORT      admin (HTTP) port of every node (default 7199)
#   BENCH_START_TIMEOUT   seconds a node may take to open its CQL port (default 60)
#   BENCH_PROFILE=1       also take server CPU profiles (admin /debug/pprof) of the first
#                         BENCH_PROFILE_SECONDS (default 10) of the single-node write and read
#                         runs, and allocation profiles after each, into BENCH_PROFILE_DIR
#                         (default bench/profiles)
#   BENCH_KEEP=1          keep the work directory (logs, JSON reports, profiles)
#   BENCH_SKIP            space-separated parts to skip: null pebble single half cluster growth index
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SIBYL_BIN:-$ROOT/bin/sibyl}
ONLY=${1:-}
case $ONLY in
"") OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md} ;;
growth) OUT=${BENCH_OUT:-$ROOT/bench/GROWTH.md} ;;
*)
	echo "usage: $0 [growth]" >&2
	exit 2
	;;
esac
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-5s}
CONC=${BENCH_CONCURRENCY:-128}
ROWS=${BENCH_ROWS:-1000000}
VALUE_SIZE=${BENCH_VALUE_SIZE:-100}
CLUSTER_ROWS=${BENCH_CLUSTER_ROWS:-300000}
GROWTH_STEPS=${BENCH_GROWTH_STEPS:-20}
GROWTH_STEP_ROWS=${BENCH_GROWTH_STEP_ROWS:-1000000}
GROWTH_BUDGET=${BENCH_GROWTH_BUDGET:-900}
[[ $ONLY == growth ]] && GROWTH_BUDGET=${BENCH_GROWTH_BUDGET:-3600}
GROWTH_COMPACTION_MBPS=${BENCH_GROWTH_COMPACTION_MBPS:-0}
INDEX_ROWS=${BENCH_INDEX_ROWS:-1000000}
INDEX_CARD=${BENCH_INDEX_CARDINALITY:-100}
PORT=${BENCH_PORT:-9042}
START_TIMEOUT=${BENCH_START_TIMEOUT:-60}
PROFILES=${BENCH_PROFILE_DIR:-$ROOT/bench/profiles}
PROFILE_SECONDS=${BENCH_PROFILE_SECONDS:-10}
ADMIN_PORT=${BENCH_ADMIN_PORT:-7199}
SKIP=" ${BENCH_SKIP:-} "

WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/sibyl-bench.XXXXXX")
RESULTS=$WORK/results
mkdir -p "$RESULTS"
COMMANDS=$WORK/commands.txt
NOTES=$WORK/notes.md
: >"$COMMANDS"
: >"$NOTES"
PIDS=()

# record CMD...: appends a command to the report's list, with the work
# directory and the repository root abbreviated.
record() { printf '%s\n' "$*" | sed "s#$WORK#\$WORK#g; s#$ROOT/##g" >>"$COMMANDS"; }

log() { printf '\n== %s\n' "$*" >&2; }
note() { printf '%s\n' "$*" >>"$NOTES"; printf 'note: %s\n' "$*" >&2; }
skipped() { [[ $SKIP == *" $1 "* ]]; }

# --- servers ---------------------------------------------------------------

cleanup() {
	local status=$?
	stop_nodes
	if [[ ${BENCH_KEEP:-} == 1 ]]; then
		echo "work directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# start_node NAME IP [serve flags...]: starts a node with its data and log in
# the work directory and waits until it accepts CQL connections.
start_node() {
	local name=$1 ip=$2
	shift 2
	if port_open "$ip" "$PORT"; then
		echo "something already listens on $ip:$PORT; stop it first" >&2
		return 1
	fi
	mkdir -p "$WORK/$name"
	local cmd=("$BIN" serve --listen-address "$ip" --cql-port "$PORT" --admin-port "$ADMIN_PORT"
		--data-dir "$WORK/$name/data" "$@")
	[[ ${BENCH_PROFILE:-} == 1 ]] && cmd+=(--pprof)
	record "${cmd[*]}"
	"${cmd[@]}" >"$WORK/$name/log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	local deadline=$((SECONDS + START_TIMEOUT))
	until port_open "$ip" "$PORT"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "node $name exited; its log:" >&2
			tail -20 "$WORK/$name/log" >&2
			return 1
		fi
		if ((SECONDS > deadline)); then
			echo "node $name did not open $ip:$PORT within ${START_TIMEOUT}s; its log:" >&2
			tail -20 "$WORK/$name/log" >&2
			return 1
		fi
		sleep 0.2
	done
}

# stop_nodes stops every node this script started: SIGTERM, then SIGKILL
# after 30 seconds.
stop_nodes() {
	local pid
	wait_profile
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		local deadline=$((SECONDS + 30))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "node $pid ignored SIGTERM for 30s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

# --- runs ------------------------------------------------------------------

# bench NAME [sibyl bench flags...]: one run, its JSON in $RESULTS/NAME.json.
# A failed run is noted and leaves no JSON; the suite goes on. The run
# measures the CPU time of the nodes running now (PIDS: start_node adds
# each, stop_nodes empties it), so every bench against nodes reports the
# server CPU per operation summed over all of them.
bench() {
	local name=$1
	shift
	local cmd=("$BIN" bench --name "$name" --concurrency "$CONC" --value-size "$VALUE_SIZE" "$@")
	local pids=() shown="" joined
	if ((${#PIDS[@]} > 0)); then
		printf -v joined '%s,' "${PIDS[@]}"
		pids=(--server-pid "${joined%,}")
		shown=" --server-pid <pids of the ${#PIDS[@]} running node(s)>"
	fi
	log "$name: ${cmd[*]} ${pids[*]}"
	record "${cmd[*]}$shown --json $name.json"
	if ! "${cmd[@]}" "${pids[@]}" --json "$RESULTS/$name.json" >"$WORK/$name.out" 2>&1; then
		tail -5 "$WORK/$name.out" >&2
		note "run $name failed: $(tail -1 "$WORK/$name.out")"
		rm -f "$RESULTS/$name.json"
		return 1
	fi
	tail -14 "$WORK/$name.out" >&2
}

# pebble NAME [pebblebench flags...]: a raw Pebble baseline run.
pebble() {
	local name=$1
	shift
	local cmd=("$WORK/pebblebench" --name "$name" --dir "$WORK/pebble" --concurrency "$CONC" --value-size "$VALUE_SIZE" "$@")
	log "$name: ${cmd[*]}"
	record "go run ./bench/cmd/pebblebench ${cmd[*]:1} --json $name.json"
	if ! "${cmd[@]}" --quiet --json "$RESULTS/$name.json" >"$WORK/$name.out" 2>&1; then
		tail -5 "$WORK/$name.out" >&2
		note "run $name failed: $(tail -1 "$WORK/$name.out")"
		rm -f "$RESULTS/$name.json"
		return 1
	fi
	tail -8 "$WORK/$name.out" >&2
}

# profile NAME IP: a server CPU profile of the next PROFILE_SECONDS, in the
# background, when asked. A process takes one CPU profile at a time, so it
# first waits for the previous one.
PROFILE_PID=""
profile() {
	[[ ${BENCH_PROFILE:-} == 1 ]] || return 0
	wait_profile
	mkdir -p "$PROFILES"
	curl -sf -o "$PROFILES/$1.cpu.pprof" "http://$2:$ADMIN_PORT/debug/pprof/profile?seconds=$PROFILE_SECONDS" &
	PROFILE_PID=$!
}

wait_profile() {
	[[ -n $PROFILE_PID ]] || return 0
	wait "$PROFILE_PID" || note "a server CPU profile failed (curl exit $?)"
	PROFILE_PID=""
}

# allocs NAME IP: the server's allocation profile (cumulative since start),
# when asked.
allocs() {
	[[ ${BENCH_PROFILE:-} == 1 ]] || return 0
	mkdir -p "$PROFILES"
	curl -sf -o "$PROFILES/$1.allocs.pprof" "http://$2:$ADMIN_PORT/debug/pprof/allocs" || true
}

# field FILE KEY: a top-level number of a report (WriteJSON puts each
# top-level field on its own line, indented by two spaces).
field() {
	[[ -f $1 ]] || return 1
	sed -n "s/^  \"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$1" | head -1
}

have() { [[ -f $RESULTS/$1.json ]]; }

# table NAME...: a Markdown comparison of the runs that exist, ratios
# against the first of them.
table() {
	local files=() n
	for n in "$@"; do have "$n" && files+=("$RESULTS/$n.json"); done
	if ((${#files[@]} == 0)); then
		echo "_No run of this part completed; see the notes._"
		return 0
	fi
	"$BIN" bench compare --markdown "${files[@]}"
}

KEYS=(--partitions "$ROWS" --rows-per-partition 1)
TIMED=(--duration "$DURATION" --warmup "$WARMUP")

run_single() {
	local kind=$1 ip=127.0.0.1
	shift
	start_node "$kind" "$ip" "$@" || {
		note "the $kind node did not start; its runs are missing"
		stop_nodes
		return 0
	}
	local validate=(--validate)
	[[ $kind == null ]] && validate=()
	profile "$kind-write" "$ip"
	bench "$kind-write" --hosts "$ip" --port "$PORT" --mode write --distribution sequential --ops "$ROWS" "${KEYS[@]}" || true
	allocs "$kind-after-write" "$ip"
	profile "$kind-read" "$ip"
	bench "$kind-read" --hosts "$ip" --port "$PORT" --mode read "${TIMED[@]}" "${KEYS[@]}" "${validate[@]}" || true
	allocs "$kind-after-read" "$ip"
	bench "$kind-mixed" --hosts "$ip" --port "$PORT" --mode mixed "${TIMED[@]}" "${KEYS[@]}" "${validate[@]}" || true
	if [[ $kind == sibyl ]]; then
		# Counter increments over the same keys: a leader's locked read and
		# write per operation, against the plain writes above.
		bench "$kind-counter" --hosts "$ip" --port "$PORT" --mode counter "${TIMED[@]}" "${KEYS[@]}" || true
	fi
	# Lightweight transactions over the rows the write run left: each is a
	# Paxos round (prepare with read, empty proposal) that applies nothing.
	[[ $kind == sibyl ]] && { bench "$kind-cas" --hosts "$ip" --port "$PORT" --mode cas "${TIMED[@]}" "${KEYS[@]}" || true; }
	if [[ $kind == sibyl ]] && ! skipped half; then
		# The half-rate write run overwrites keys uniformly, which costs
		# more (every flushed table overlaps the whole key space, so each
		# compaction rewrites more) than the sequential load above: its
		# maximum is measured on the same workload, closed loop, first.
		bench "$kind-overwrite" --hosts "$ip" --port "$PORT" --mode write "${TIMED[@]}" "${KEYS[@]}" || true
		run_half "$ip"
	fi
	stop_nodes
}

# run_half IP: uniform writes and reads open loop at half the closed-loop
# maximum of the same workload (sibyl-overwrite, sibyl-read).
run_half() {
	local m rate max
	for m in write read; do
		max=sibyl-$m
		[[ $m == write ]] && max=sibyl-overwrite
		if ! have "$max"; then
			note "no $max result, so no half-rate $m run"
			continue
		fi
		rate=$(field "$RESULTS/$max.json" ops_per_sec)
		rate=$(awk -v r="$rate" 'BEGIN { printf "%d", r / 2 }')
		if ((rate < 1)); then
			note "$max reached no throughput, so no half-rate run"
			continue
		fi
		local extra=()
		[[ $m == read ]] && extra=(--validate)
		bench "sibyl-$m-half" --hosts "$1" --port "$PORT" --mode "$m" --rate "$rate" "${TIMED[@]}" "${KEYS[@]}" "${extra[@]}" || true
	done
}

run_pebble() {
	(cd "$ROOT" && go build -o "$WORK/pebblebench" ./bench/cmd/pebblebench) || {
		note "cannot build bench/cmd/pebblebench; no Pebble baseline"
		return 0
	}
	pebble pebble-write --mode write --distribution sequential --ops "$ROWS" "${KEYS[@]}" || true
	pebble pebble-read --mode read "${TIMED[@]}" "${KEYS[@]}" --validate || true
	pebble pebble-mixed --mode mixed "${TIMED[@]}" "${KEYS[@]}" --validate || true
	rm -rf "$WORK/pebble"
}

run_cluster() {
	local hosts=127.0.0.1,127.0.0.2,127.0.0.3
	start_node node1 127.0.0.1 && start_node node2 127.0.0.2 --seeds 127.0.0.1 &&
		start_node node3 127.0.0.3 --seeds 127.0.0.1 || {
		note "the 3-node cluster did not start; skipped"
		stop_nodes
		return 0
	}
	# Wait until writes at ALL succeed: every node has joined the ring and
	# agrees on the schema.
	local deadline=$((SECONDS + 120)) ok=0
	local probe=("$BIN" bench --quiet --hosts "$hosts" --port "$PORT" --replication-factor 3 --consistency ALL
		--ops 300 --concurrency 8 --partitions 1000 --keyspace sibyl_bench_probe)
	record "${probe[*]}   # repeated until it succeeds"
	while ((SECONDS < deadline)); do
		if "${probe[@]}" --json "$WORK/probe.json" >"$WORK/probe.out" 2>&1 &&
			[[ $(field "$WORK/probe.json" errors) == 0 ]]; then
			ok=1
			break
		fi
		sleep 2
	done
	if ((ok == 0)); then
		note "the 3-node cluster never accepted writes at ALL within 120s (last: $(tail -1 "$WORK/probe.out")); skipped"
		stop_nodes
		return 0
	fi
	local keys=(--partitions "$CLUSTER_ROWS" --rows-per-partition 1 --replication-factor 3 --consistency QUORUM)
	bench cluster-write --hosts "$hosts" --port "$PORT" --mode write --distribution sequential --ops "$CLUSTER_ROWS" "${keys[@]}" || true
	bench cluster-read --hosts "$hosts" --port "$PORT" --mode read "${TIMED[@]}" "${keys[@]}" --validate || true
	bench cluster-mixed --hosts "$hosts" --port "$PORT" --mode mixed "${TIMED[@]}" "${keys[@]}" --validate || true
	bench cluster-counter --hosts "$hosts" --port "$PORT" --mode counter "${TIMED[@]}" "${keys[@]}" || true
	bench cluster-cas --hosts "$hosts" --port "$PORT" --mode cas "${TIMED[@]}" "${keys[@]}" || true
	stop_nodes
}

GROWTH_RUNS=()
run_growth() {
	start_node growth 127.0.0.1 || {
		note "the growth node did not start; skipped"
		stop_nodes
		return 0
	}
	# Compaction unthrottled, pacing included (the node paces compactions
	# while they keep up; set explicitly so the report says what ran): a
	# write-only series must let compaction keep up, or level 0
	# grows until Pebble stalls writes and the later steps measure the stall
	# or the throttle rather than the data set's size.
	local tp=("$BIN" setcompactionthroughput "$GROWTH_COMPACTION_MBPS" --host 127.0.0.1 --admin-port "$ADMIN_PORT")
	record "${tp[*]}"
	"${tp[@]}" >/dev/null 2>&1 || note "could not set the growth node's compaction throughput to $GROWTH_COMPACTION_MBPS MB/s"
	local start=$SECONDS step
	for ((step = 1; step <= GROWTH_STEPS; step++)); do
		local offset=$(((step - 1) * GROWTH_STEP_ROWS))
		bench "growth-$((step * GROWTH_STEP_ROWS / 1000))k" --quiet --hosts 127.0.0.1 --port "$PORT" --mode write \
			--distribution sequential --ops "$GROWTH_STEP_ROWS" --partitions "$GROWTH_STEP_ROWS" \
			--partition-offset "$offset" || break
		GROWTH_RUNS+=("growth-$((step * GROWTH_STEP_ROWS / 1000))k")
		if ((SECONDS - start > GROWTH_BUDGET)); then
			note "growth stopped at $((step * GROWTH_STEP_ROWS)) rows: the ${GROWTH_BUDGET}s budget was spent"
			break
		fi
	done
	du -sh "$WORK/growth/data" 2>/dev/null | awk '{ print "growth data set on disk at the end: " $1 }' >>"$NOTES" || true
	"$BIN" compactionstats --host 127.0.0.1 --admin-port "$ADMIN_PORT" 2>/dev/null |
		sed -n 's/^completed: /growth node compactions at the end: /p' >>"$NOTES" || true
	stop_nodes
}

# run_index: secondary indexes on a single node. Every table has the same
# columns (--index-columns: u unique, g of INDEX_CARD values) and only the
# number of indexes differs; each write run gets a fresh node, so none
# writes into another's data. The reads run on the 3-index table.
run_index() {
	local ip=127.0.0.1 n
	local keys=(--partitions "$INDEX_ROWS" --rows-per-partition 1 --index-cardinality "$INDEX_CARD")
	for n in 0 1 3; do
		start_node "index$n" "$ip" || {
			note "the index$n node did not start; its runs are missing"
			stop_nodes
			return 0
		}
		bench "index-write-$n" --hosts "$ip" --port "$PORT" --mode write --distribution sequential \
			--ops "$INDEX_ROWS" "${keys[@]}" --table "kv_ix$n" --index-columns --indexes "$n" || true
		[[ $n == 3 ]] || stop_nodes
	done
	if have index-write-3; then
		bench index-pk-read --hosts "$ip" --port "$PORT" --mode read "${TIMED[@]}" "${keys[@]}" --table kv_ix3 --validate || true
		bench index-point --hosts "$ip" --port "$PORT" --mode index-point "${TIMED[@]}" "${keys[@]}" --table kv_ix3 --validate || true
		bench index-group --hosts "$ip" --port "$PORT" --mode index-group "${TIMED[@]}" "${keys[@]}" --table kv_ix3 \
			--page-size 100 --validate || true
	else
		note "no 3-index table was written, so no indexed reads"
	fi
	stop_nodes
}

# --- report ----------------------------------------------------------------

machine() {
	local cpu mem disk
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	disk=$(df -hP "$WORK" | awk 'NR == 2 { print $1 " (" $2 " total, " $4 " free)" }')
	local src dev rot=""
	src=$(df -P "$WORK" | awk 'NR == 2 { print $1 }')
	dev=$(lsblk -no PKNAME "$src" 2>/dev/null | head -1)
	[[ -n $dev ]] || dev=${src#/dev/}
	if [[ -r /sys/block/$dev/queue/rotational ]]; then
		case $(cat "/sys/block/$dev/queue/rotational") in
		0) rot=", non-rotational" ;;
		1) rot=", reported rotational (virtual disks often are)" ;;
		esac
	fi
	cat <<EOF
- CPU: ${cpu:-unknown}, $(nproc) cores visible to the suite ($(grep -c ^processor /proc/cpuinfo) in /proc/cpuinfo)
- Memory: $mem
- Disk holding the data: $disk$rot, file system $(df -PT "$WORK" | awk 'NR == 2 { print $2 }')
- Kernel: $(uname -sr); $(go version 2>/dev/null || echo "go: not found")
- Sibyl: $("$BIN" version 2>/dev/null || echo unknown) (the binary measured; the repository was at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) when the report was written)
- Load at the start of the suite (/proc/loadavg): ${LOADAVG_START:-unknown}
- Client and servers share the machine; every sibyl bench client runs $CONC requests in flight.
EOF
}

# ratio A B KEY: A's KEY over B's, or "n/a".
ratio() {
	local a b
	a=$(field "$RESULTS/$1.json" "$3" 2>/dev/null) || true
	b=$(field "$RESULTS/$2.json" "$3" 2>/dev/null) || true
	if [[ -z $a || -z $b ]]; then echo "n/a"; return; fi
	awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

per_core() {
	local v
	v=$(field "$RESULTS/$1.json" ops_per_sec 2>/dev/null) || true
	[[ -n $v ]] || { echo "n/a"; return; }
	awk -v v="$v" -v n="$(nproc)" 'BEGIN { printf "%.0f", v / n }'
}

num() { field "$RESULTS/$1.json" "$2" 2>/dev/null || echo "n/a"; }

# replica_writes_per_cpu: the 3-node cluster's replica writes (RF=3, so
# three per acknowledged write) per second of server CPU, from the
# cluster-write run's server CPU per operation.
replica_writes_per_cpu() {
	local us
	us=$(field "$RESULTS/cluster-write.json" server_cpu_us_per_op 2>/dev/null) || true
	[[ -n $us ]] || { echo "n/a"; return; }
	awk -v us="$us" 'BEGIN { if (us <= 0) print "n/a"; else printf "%.0f", 3 * 1e6 / us }'
}

# check LABEL VALUE OP TARGET: a row of the targets table.
check() {
	local verdict value=$2
	if [[ $2 == n/a || -z $2 ]]; then
		verdict="not measured"
		value="n/a"
	else
		value=$(awk -v v="$2" 'BEGIN { if (v >= 100) printf "%.0f", v; else printf "%.2f", v }')
		verdict=$(awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN {
			ok = (op == ">=") ? (v >= t) : (v <= t)
			if (ok) print "met"
			else if (op == ">=") printf "missed by %.0f%%", (t - v) / t * 100
			else printf "missed by %.0f%%", (v - t) / t * 100 }')
	fi
	printf '| %s | %s | %s %s | %s |\n' "$1" "$value" "$3" "$4" "$verdict"
}

growth_ratio() {
	((${#GROWTH_RUNS[@]} >= 2)) || { echo "n/a"; return; }
	ratio "${GROWTH_RUNS[-1]}" "${GROWTH_RUNS[0]}" ops_per_sec
}

# usage_legend: what the server CPU and load columns of the tables mean.
usage_legend() {
	cat <<EOF
Each row also has what the run cost: "srv µs/op" is the CPU time (user and
system, from /proc/PID/stat) the server processes spent during the measured
window, summed over every node of the run, divided by the operations
measured; "x srv" is its ratio against the first row. It is the figure to
compare on a shared machine: other load there lowers throughput and raises
latency, but barely changes the CPU a server spends on each operation it
serves. "load" is the 1-minute load average when the run started and
"busy" the share of all CPUs' time that was not idle during it, whoever
used it: they say how much the machine was shared (the client runs on it
too). Raw Pebble's "srv µs/op" is its own process, load loop included.
EOF
}

# growth_section: the growth series' table and what it ran with.
growth_section() {
	if ((${#GROWTH_RUNS[@]} == 0)) && skipped growth; then
		echo '_Not part of this run: `make bench-growth` runs the growth series to 20M rows on its own and writes bench/GROWTH.md._'
		return 0
	fi
	cat <<EOF
Each step writes $GROWTH_STEP_ROWS new rows (sequential keys, one row per
partition, $VALUE_SIZE-byte values) to the same node, closed loop; the run's
name is the number of rows (thousands) in the table at its end. Compaction
throughput: $(if ((GROWTH_COMPACTION_MBPS == 0)); then echo "unlimited"; else echo "$GROWTH_COMPACTION_MBPS MB/s"; fi)
(\`setcompactionthroughput\`; unlimited unless BENCH_GROWTH_COMPACTION_MBPS says
otherwise, so that compaction keeps level 0 small and later steps do not
measure a throttle); the engine's other settings are the node's defaults.
Budget ${GROWTH_BUDGET}s: the series stops after the step that crosses it.

$(table "${GROWTH_RUNS[@]}")
EOF
}

# growth_report: the report of `suite.sh growth` (make bench-growth).
growth_report() {
	local tmp=$OUT.tmp
	cat >"$tmp" <<EOF
# Sibyl benchmarks: write throughput as the data set grows

Written by \`make bench-growth\` (\`bench/suite.sh growth\`) on $(date -u '+%Y-%m-%d %H:%M UTC'):
$GROWTH_STEPS steps of $GROWTH_STEP_ROWS rows written to one node, with
throughput, latency and server CPU per step. Ratios are against the first
step; latencies are response times from HDR histograms; writes are synced to
the write-ahead log before they are acknowledged.

$(usage_legend)

## Machine

$(machine)

## Target

| target | measured | wanted | verdict |
| --- | --- | --- | --- |
$(check "growth: last step / first step writes/s" "$(growth_ratio)" ">=" 0.80)

## Growth

$(growth_section)

## Notes

$(if [[ -s $NOTES ]]; then sed 's/^/- /' "$NOTES"; else echo "- Every step ran."; fi)

## Commands

\`\`\`
$(cat "$COMMANDS")
\`\`\`
EOF
	mv "$tmp" "$OUT"
	echo "wrote $OUT" >&2
}

report() {
	local tmp=$OUT.tmp
	{
		cat <<EOF
# Sibyl benchmarks

Written by \`make bench\` (\`bench/suite.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC'). Every table
compares runs of the same suite on the same machine; each row's ratios (x ops/s,
x p99) are against the table's first row. Ratios are the figures to compare
across machines; absolute numbers are context. Latencies are response times
measured by the client from each operation's intended start (in closed-loop
runs, from its send), from HDR histograms. Writes are synced to the
write-ahead log before they are acknowledged.

$(usage_legend)

## Machine

$(machine)

Settings: $CONC requests in flight, $VALUE_SIZE-byte values, $ROWS rows of one
row per partition for the single-node runs, time-bounded runs of $DURATION after
a $WARMUP warmup.

## Targets

| target | measured | wanted | verdict |
| --- | --- | --- | --- |
$(check "single node writes/s" "$(num sibyl-write ops_per_sec)" ">=" 50000)
$(check "single node point reads/s" "$(num sibyl-read ops_per_sec)" ">=" 50000)
$(check "durable writes / null-backend ceiling" "$(ratio sibyl-write null-write ops_per_sec)" ">=" 0.70)
$(check "write p99 ms at half the maximum rate" "$(num sibyl-write-half p99_ms)" "<=" 2)
$(check "read p99 ms at half the maximum rate" "$(num sibyl-read-half p99_ms)" "<=" 2)
$(check "3 nodes RF=3 QUORUM writes/s" "$(num cluster-write ops_per_sec)" ">=" 15000)
$(check "growth: last step / first step writes/s" "$(growth_ratio)" ">=" 0.80)
$(check "server CPU µs per write" "$(num sibyl-write server_cpu_us_per_op)" "<=" 15)
$(check "server CPU µs per point read" "$(num sibyl-read server_cpu_us_per_op)" "<=" 20)
$(check "3 nodes: server CPU µs per RF=3 QUORUM write, summed over the nodes" "$(num cluster-write server_cpu_us_per_op)" "<=" 60)

Other ratios: reads against the null ceiling $(ratio sibyl-read null-read ops_per_sec),
mixed $(ratio sibyl-mixed null-mixed ops_per_sec); Sibyl against raw Pebble with the
same record shapes: writes $(ratio sibyl-write pebble-write ops_per_sec), reads
$(ratio sibyl-read pebble-read ops_per_sec), mixed $(ratio sibyl-mixed pebble-mixed ops_per_sec).
Per core ($(nproc) cores, shared by client and server): $(per_core sibyl-write) writes/s,
$(per_core sibyl-read) reads/s. Three nodes: $(replica_writes_per_cpu) replica writes per
second of server CPU (a vCPU fully used by the servers), from the cluster write run's
server CPU per acknowledged write.

## Single node: writes (null-backend ceiling, Sibyl, raw Pebble)

$(table null-write sibyl-write pebble-write)

## Single node: point reads

$(table null-read sibyl-read pebble-read)

## Single node: mixed, 50% reads

$(table null-mixed sibyl-mixed pebble-mixed)

## Lightweight transactions (IF NOT EXISTS over existing rows) beside plain writes

$(table sibyl-write sibyl-cas cluster-write cluster-cas)

## Latency at the maximum rate and at half of it (open loop)

Uniform overwrites of the $ROWS rows closed loop (the maximum), then open
loop at half that rate; the same for point reads. max ms is the run's worst
response: a stall shows there first.

$(table sibyl-overwrite sibyl-write-half sibyl-read sibyl-read-half)

## Three local nodes, RF=3, QUORUM (against the single node)

$(if have cluster-write || have cluster-read; then
		table sibyl-write cluster-write sibyl-read cluster-read sibyl-mixed cluster-mixed
	else
		echo "_Skipped: the notes say why._"
	fi)

## Counters: increments beside plain writes

One \`UPDATE ... SET n = n + 1\` per operation on a counter table with the
same keys (uniform), against the plain writes: on one node, then on the
three nodes at RF=3, QUORUM, where each increment is led by the replica the
token-aware driver sent it to, which then replicates its shard.

$(table sibyl-write sibyl-counter cluster-write cluster-counter)

## Growth: write throughput and p99 as the data set grows

$(growth_section)

## Secondary indexes: writes with 0, 1 and 3 indexes

Each run writes $INDEX_ROWS rows (sequential keys, one row per partition) to a
table with columns u (unique) and g ($INDEX_CARD values) on a fresh node;
only the number of indexes differs (on u; u and g; u, g and v).

$(table index-write-0 index-write-1 index-write-3)

## Secondary indexes: primary-key read, indexed point and low-cardinality queries

On the 3-index table of $INDEX_ROWS rows: \`read\` by the full primary key;
\`index-point\`, \`SELECT ... WHERE u = ?\` (one row); \`index-group\`,
\`SELECT ... WHERE g = ? LIMIT 100\` (g has $INDEX_CARD values, about
$((INDEX_ROWS / INDEX_CARD)) rows each). Every index query asks every token
range; ops/s of index-group count queries, not rows.

$(table index-pk-read index-point index-group)

## Notes

$(if [[ -s $NOTES ]]; then sed 's/^/- /' "$NOTES"; else echo "- Every part ran."; fi)

## Commands

\`\`\`
$(cat "$COMMANDS")
\`\`\`
EOF
		# The profile analysis is written by people, from the profiles a
		# run with BENCH_PROFILE=1 leaves; it says which run it read.
		for f in "$ROOT/bench/ANALYSIS.md" "$ROOT/cql/server/PERF.md"; do
			if [[ -s $f ]]; then printf '\n'; cat "$f"; fi
		done
	} >"$tmp"
	mv "$tmp" "$OUT"
	echo "wrote $OUT" >&2
}

# --- main ------------------------------------------------------------------

if [[ ! -x $BIN ]]; then
	echo "no sibyl binary at $BIN: run make build, or set SIBYL_BIN" >&2
	exit 1
fi
log "work directory $WORK"
LOADAVG_START=$(cat /proc/loadavg 2>/dev/null || true)
if [[ $ONLY == growth ]]; then
	run_growth
	growth_report
	exit 0
fi
skipped null || run_single null --backend null
skipped single || run_single sibyl
skipped pebble || run_pebble
skipped cluster || run_cluster
skipped growth || run_growth
skipped index || run_index
if [[ ${BENCH_PROFILE:-} == 1 ]]; then
	note "server profiles: $(ls "$PROFILES" 2>/dev/null | tr '\n' ' ')(in $PROFILES)"
fi
report
