#!/usr/bin/env bash
# Static check of docker-compose.yml (make test): `docker compose config` where the compose plugin
# exists; everywhere, a parse of the file that checks what the cluster needs: three privileged
# Gluster peers with health checks, an init that waits for them, a gateway given all three
# volfile servers, waiting for init, with a health check on /ready, and every file it mounts or
# builds from present in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  docker compose config -q
  echo "check-compose: docker compose config: OK"
fi
python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml >/dev/null
python3 - <<'PY'
import os, sys, tomllib, yaml
doc = yaml.safe_load(open("docker-compose.yml"))
s = doc["services"]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
for n in ("gl1", "gl2", "gl3"):
    p = s.get(n, {})
    need(p.get("privileged") is True, f"{n}: privileged")
    need("healthcheck" in p, f"{n}: healthcheck")
    need(p.get("hostname") == n, f"{n}: hostname")
    need(any(v.endswith(":/var/lib/glusterd") for v in p.get("volumes", [])), f"{n}: glusterd state volume")
init = s.get("init", {})
need(all(init.get("depends_on", {}).get(n, {}).get("condition") == "service_healthy" for n in ("gl1", "gl2", "gl3")), "init waits for healthy peers")
gw = s.get("gateway", {})
env = gw.get("environment", {})
servers = env.get("GLUSTERS3_VOLFILE_SERVERS", "").split(",")
need(sorted(x.split(":")[0] for x in servers) == ["gl1", "gl2", "gl3"], "gateway: all three volfile servers")
need(gw.get("depends_on", {}).get("init", {}).get("condition") == "service_completed_successfully", "gateway waits for init")
need("/ready" in " ".join(gw.get("healthcheck", {}).get("test", [])), "gateway: health check on /ready")
for svc in s.values():
    b = svc.get("build")
    if b:
        need(os.path.exists(os.path.join(b.get("context", "."), b["dockerfile"])), f"missing {b['dockerfile']}")
    for v in svc.get("volumes", []):
        src = v.split(":")[0]
        if src.startswith("./"):
            need(os.path.exists(src), f"missing mounted file {src}")
conf = tomllib.load(open("docker/gateway.toml", "rb"))
vols = [v["name"] for v in conf.get("volumes", [])]
init_text = open("docker/cluster-init.sh").read()
for v in vols + [env.get("GLUSTERS3_VOLUME", "")]:
    need(f"create {v} " in init_text, f"cluster-init.sh does not create volume {v}")
if problems:
    print("check-compose: FAILED:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"check-compose: OK ({len(s)} services, volumes {[env.get('GLUSTERS3_VOLUME')] + vols})")
PY
