"""Console page timings on a generated lab (a benchmark, not a test).

Builds a lab of 64 nodes and 8,000 VMs (the Windows Server 2016+ cluster
limits) in a scratch SQLite database, then renders each list page many
times through Django's test client and prints, per page:

    page=roles nodes=64 vms=8000 median_ms=.. p95_ms=.. queries=..

Run: `make bench` (or `.venv/bin/python bench/pages.py --nodes 64 --vms 8000`).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=64)
    parser.add_argument("--vms", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="fcm-bench-")
    os.environ["FCM_VAR_DIR"] = scratch
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fcm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from fcm.inventory import owners
    from fcm.inventory.generate import generate
    from fcm.inventory.models import ClusterDisk, Node, Role

    started = time.perf_counter()
    admin = owners.administrator()
    lab = generate(admin, nodes=args.nodes, vms=args.vms)
    print(f"# generated {args.nodes} nodes / {args.vms} VMs in {time.perf_counter() - started:.1f} s")
    cluster = lab.clusters.get()
    role = Role.objects.filter(cluster=cluster).order_by("name")[args.vms // 2]
    node = Node.objects.filter(cluster=cluster).order_by("name").first()
    disk = ClusterDisk.objects.filter(cluster=cluster).order_by("name").first()
    csv = ClusterDisk.objects.filter(cluster=cluster, assignment="csv").order_by("name").first()
    network = cluster.cluster_networks.order_by("name").first()
    a = (lab.pk, cluster.pk)
    pages = {
        "roles": reverse("console:roles", args=a),
        "roles-search": reverse("console:roles", args=a) + "?q=VM79",
        "roles-last-page": reverse("console:roles", args=a) + f"?page={args.vms // settings.FCM_PAGE_SIZE}",
        "role-selected": reverse("console:role", args=[*a, role.pk]),
        "role-selection-swap": reverse("console:role", args=[*a, role.pk]) + "?tab=resources",
        "nodes": reverse("console:nodes", args=a),
        "node-selected": reverse("console:node", args=[*a, node.pk]),
        "disks": reverse("console:disks", args=a),
        "disk-selected": reverse("console:disk", args=[*a, disk.pk]),
        "csv-selected": reverse("console:disk", args=[*a, csv.pk]),
        "networks": reverse("console:networks", args=a),
        "network-selected": reverse("console:network", args=[*a, network.pk]),
        "events": reverse("console:events", args=a),
        "servers": reverse("console:servers", args=[lab.pk]),
        "cluster": reverse("console:cluster", args=a),
    }
    client = Client()
    client.force_login(admin)
    for name, url in pages.items():
        headers = {}
        if name.endswith("selection-swap"):
            headers = {"HX-Request": "true", "HX-Target": "selection"}
        client.get(url, headers=headers)  # warm caches
        times = []
        executed = []
        with connection.execute_wrapper(lambda run, sql, *a: executed.append(sql) or run(sql, *a)):
            client.get(url, headers=headers)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"page={name} nodes={args.nodes} vms={args.vms} median_ms={statistics.median(times):.1f} "
              f"p95_ms={p95:.1f} queries={len(executed)} bytes={len(response.content)}")


if __name__ == "__main__":
    main()
