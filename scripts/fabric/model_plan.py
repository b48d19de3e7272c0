#!/usr/bin/python3
"""Turns a topology model (the JSON of `fabricbench topology FILE --json`) into the build
plan that scripts/fabric/fabric.sh executes (docs/FABRIC.md, "Building from a description").

Usage: model_plan.py MODEL.json

Checks what the emulator needs and refuses anything else with one line on stderr and exit 2.
On success prints one record per line, fields separated by single spaces:

  source TEXT                              where the model came from (informational)
  nics NAME[,NAME...]                      every distinct NIC name, by rail (UCX_NET_DEVICES)
  switch BRIDGE TIER NAME                  one bridge per switch, highest tier first; NAME is
                                           the rest of the line (any text but control chars)
  link DEV_A BRIDGE_A DEV_B BRIDGE_B RATE  switch-to-switch veth; A is the lower-tier end
  host HOST ADDR BRIDGE                    a host namespace, its rail-0 address and switch
  nic HOST NIC PORT BRIDGE RATE ADDR RAIL  one veth per NIC: NIC in HOST, PORT on BRIDGE

RATE is tc syntax (400mbit, 1500kbit); ADDR is without its /16. Hosts come in the order of
their number, each followed by its NICs in rail order. Only the json module is used.
"""
import json
import re
import sys

MAX_HOSTS = 64          # fbf-h0 .. fbf-h63 (the address's last octet is N + 1)
MAX_RAILS = 8           # rails 0..7: subnets 10.77.0.0/16 .. 10.84.0.0/16
MAX_LEAVES = 256        # the address's third octet is the leaf's index
MAX_SWITCHES = 256      # bridge fbf-sI, link ends fbf-sIsJ stay within 15 characters
HOST_RE = re.compile(r"^fbf-h(0|[1-9][0-9]*)$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


class Refused(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Refused(msg)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def tc_rate(gbps, what):
    need(is_num(gbps), f"{what}: rate_gbps missing or not a number (the emulator needs every rate)")
    need(gbps > 0, f"{what}: rate_gbps {gbps} (the emulator needs a known rate > 0)")
    kbit = round(gbps * 1e6)
    need(kbit >= 1, f"{what}: rate_gbps {gbps} is below 1 kbit/s")
    need(kbit <= 100_000_000, f"{what}: rate_gbps {gbps} is above 100 Gb/s")
    return f"{kbit // 1000}mbit" if kbit % 1000 == 0 else f"{kbit}kbit"


def name_of(obj, what):
    need(isinstance(obj, dict), f"{what} is not an object")
    name = obj.get("name")
    need(isinstance(name, str) and name != "", f"{what} has no name")
    return name


def plan(model):
    need(isinstance(model, dict), "not a JSON object")
    need(model.get("format") == "fabricbench-topology",
         f"format is {model.get('format')!r}, not 'fabricbench-topology'")
    need(model.get("version") == 1, f"version {model.get('version')!r} (this fabric.sh reads 1)")
    for key in ("hosts", "switches", "links"):
        need(isinstance(model.get(key), list), f"'{key}' missing or not a list")
    source = model.get("source", "")
    source = source if isinstance(source, str) and source.isprintable() else ""

    # Switches: bridge fbf-sI in the order given.
    switches = {}   # name -> (index, tier)
    need(len(model["switches"]) >= 1, "no switches")
    need(len(model["switches"]) <= MAX_SWITCHES, f"more than {MAX_SWITCHES} switches")
    for i, s in enumerate(model["switches"]):
        name = name_of(s, f"switch #{i}")
        need(name.isprintable(), f"switch #{i}: name {name!r} has control characters")
        need(name not in switches, f"switch '{name}' appears twice")
        tier = s.get("tier")
        need(is_int(tier) and tier >= 0, f"switch '{name}': tier {tier!r} is not an integer >= 0")
        switches[name] = (i, tier)
    leaves = [n for n, (_, t) in switches.items() if t == 0]
    need(len(leaves) <= MAX_LEAVES, f"more than {MAX_LEAVES} tier-0 switches")
    leaf_index = {n: k for k, n in enumerate(leaves)}

    def bridge(name):
        return f"fbf-s{switches[name][0]}"

    # Links: at most one per pair, no loops (the bridges run no spanning tree).
    parent = {n: n for n in switches}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    links = []
    seen = set()
    for i, l in enumerate(model["links"]):
        need(isinstance(l, dict), f"link #{i} is not an object")
        a, b = l.get("a"), l.get("b")
        for end in (a, b):
            need(isinstance(end, str), f"link #{i}: ends 'a' and 'b' must be switch names")
            need(end in switches, f"link #{i} ({a} - {b}): unknown switch '{end}'")
        need(a != b, f"link #{i}: switch '{a}' linked to itself")
        pair = frozenset((a, b))
        need(pair not in seen, f"link #{i}: a second link between '{a}' and '{b}'")
        seen.add(pair)
        rate = tc_rate(l.get("rate_gbps"), f"link {a} - {b}")
        need(root(a) != root(b),
             f"link {a} - {b} closes a loop (the emulated switches are bridges without spanning"
             " tree: the links must form a tree or a forest)")
        parent[root(a)] = root(b)
        # The lower tier (then the earlier switch) is end A, the one status shows it under.
        if (switches[b][1], switches[b][0]) < (switches[a][1], switches[a][0]):
            a, b = b, a
        links.append((a, b, rate))

    # Hosts and their NICs.
    hosts = []
    seen_hosts = set()
    need(len(model["hosts"]) >= 1, "no hosts")
    for i, h in enumerate(model["hosts"]):
        name = name_of(h, f"host #{i}")
        m = HOST_RE.match(name)
        need(m and int(m.group(1)) < MAX_HOSTS,
             f"host '{name}': emulated hosts must be named fbf-h<N> with N < {MAX_HOSTS}"
             " (mpirun.sh and rsh-agent.sh depend on it)")
        n = int(m.group(1))
        need(name not in seen_hosts, f"host '{name}' appears twice")
        seen_hosts.add(name)
        nics = h.get("nics")
        need(isinstance(nics, list) and nics, f"host '{name}': no NICs")
        rails = {}
        names = set()
        for k, nic in enumerate(nics):
            nic_name = name_of(nic, f"host '{name}' NIC #{k}")
            what = f"host '{name}' NIC '{nic_name}'"
            need(IFNAME_RE.match(nic_name) and nic_name not in (".", "..", "lo"),
                 f"{what}: not a valid interface name (1-15 characters of A-Z a-z 0-9 _ . -, not lo)")
            need(nic_name not in names, f"{what} appears twice")
            names.add(nic_name)
            rail = nic.get("rail")
            need(is_int(rail) and 0 <= rail < MAX_RAILS,
                 f"{what}: rail {rail!r} (the emulator has rails 0..{MAX_RAILS - 1})")
            need(rail not in rails,
                 f"{what}: a second NIC on rail {rail} (each rail of a host is its own subnet)")
            sw = nic.get("switch")
            need(isinstance(sw, str), f"{what}: no switch")
            need(sw in switches, f"{what}: unknown switch '{sw}'")
            need(switches[sw][1] == 0,
                 f"{what}: switch '{sw}' is tier {switches[sw][1]}; hosts attach to tier-0 switches")
            rate = tc_rate(nic.get("rate_gbps"), what)
            addr = f"10.{77 + rail}.{leaf_index[sw]}.{n + 1}"
            rails[rail] = (nic_name, f"fbf-h{n}p{k}", bridge(sw), rate, addr)
        need(0 in rails,
             f"host '{name}': no NIC on rail 0 (/etc/hosts and Open MPI's traffic use rail 0)")
        hosts.append((n, name, rails))
    hosts.sort()

    nic_names = []
    for rail in range(MAX_RAILS):
        for _, _, rails in hosts:
            if rail in rails and rails[rail][0] not in nic_names:
                nic_names.append(rails[rail][0])

    out = [f"source {source}", "nics " + ",".join(nic_names)]
    for name, (i, tier) in sorted(switches.items(), key=lambda kv: (-kv[1][1], kv[1][0])):
        out.append(f"switch fbf-s{i} {tier} {name}")
    links.sort(key=lambda l: (switches[l[0]][0], switches[l[1]][0]))
    for a, b, rate in links:
        ia, ib = switches[a][0], switches[b][0]
        out.append(f"link fbf-s{ia}s{ib} fbf-s{ia} fbf-s{ib}s{ia} fbf-s{ib} {rate}")
    for n, name, rails in hosts:
        out.append(f"host {name} {rails[0][4]} {rails[0][2]}")
        for rail in sorted(rails):
            nic_name, port, br, rate, addr = rails[rail]
            out.append(f"nic {name} {nic_name} {port} {br} {rate} {addr} {rail}")
    return out


def main():
    if len(sys.argv) != 2:
        print("usage: model_plan.py MODEL.json", file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            model = json.load(f)
        lines = plan(model)
    except OSError as e:
        print(f"fabric.sh: cannot read model {path}: {e.strerror}", file=sys.stderr)
        return 2
    except ValueError as e:   # json.JSONDecodeError, UnicodeDecodeError
        print(f"fabric.sh: model {path} is not valid JSON: {e}", file=sys.stderr)
        return 2
    except Refused as e:
        print(f"fabric.sh: refused model {path}: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
