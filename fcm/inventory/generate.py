"""A generated lab of any size, up to the product's cluster limits.

Used for scale work (64 nodes and 8,000 VMs is the Windows Server 2016+
limit) and benchmarks. Built with bulk inserts: 8,000 roles load in seconds.
"""
import math
import random
from datetime import datetime, timedelta, timezone as dt_timezone

from django.db import transaction

from fcm.sim import versions, workload
from fcm.sim.units import GB, TB

from . import models as m

VMS_PER_CSV = 500


@transaction.atomic
def generate(owner, nodes=8, vms=100, name=None, os_version="2019", seed=1, replace=False):
    version = versions.get(os_version)
    if not 1 <= nodes <= version.max_nodes:
        raise ValueError(f"{version.label} clusters have 1 to {version.max_nodes} nodes")
    if not 0 <= vms <= version.max_vms_per_cluster:
        raise ValueError(f"{version.label} clusters run at most {version.max_vms_per_cluster} VMs")
    if vms > nodes * version.max_vms_per_node:
        raise ValueError(f"{nodes} nodes host at most {nodes * version.max_vms_per_node} VMs")
    rng = random.Random(seed)
    name = name or f"generated-{nodes}x{vms}"
    if m.Lab.objects.filter(name=name).exists():
        if not replace:
            raise ValueError(f"a lab named {name!r} already exists")
        m.Lab.objects.filter(name=name).delete()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=dt_timezone.utc)
    lab = m.Lab.objects.create(
        name=name, title=f"Generated lab: {nodes} nodes, {vms} virtual machines",
        description="Made by manage.py genlab for scale exercises.", source="genlab",
        owner=owner, sim_anchor=start)
    domain = m.Domain.objects.create(lab=lab, name="contoso.com", netbios_name="CONTOSO")
    nets = {
        "Management": m.Network.objects.create(lab=lab, name="Management", subnet="10.0.0.0/24",
                                                gateway="10.0.0.1", purpose="public", speed_mbps=10000),
        "Cluster": m.Network.objects.create(lab=lab, name="Cluster", subnet="10.1.0.0/24",
                                             purpose="private", speed_mbps=10000),
        "Live Migration": m.Network.objects.create(lab=lab, name="Live Migration", subnet="10.2.0.0/24",
                                                   purpose="live-migration", speed_mbps=10000),
        "Storage": m.Network.objects.create(lab=lab, name="Storage", subnet="10.3.0.0/24",
                                            purpose="storage", speed_mbps=10000),
    }
    cluster = m.Cluster(lab=lab, name="GEN-CL01", domain=domain, os_version=os_version,
                        quorum_type=m.Cluster.Quorum.NODE_AND_DISK, created_at=start - timedelta(days=90))
    cluster.apply_version_defaults(hyperv_vms_clustered=True)
    cluster.save()
    host_memory = max(256, 2 ** math.ceil(math.log2(max(vms / nodes, 1) * 4 + 32))) * 1024
    node_objs = m.Node.objects.bulk_create([
        m.Node(lab=lab, name=f"HV{i:02d}", domain=domain, os_version=os_version,
               edition=m.Node.Edition.DATACENTER, processor_model="Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
               sockets=2, cores=40, memory_mb=host_memory, cluster=cluster, node_id=i,
               state=m.Node.State.UP)
        for i in range(1, nodes + 1)
    ])
    adapters = []
    for node in node_objs:
        for octet, net in enumerate(nets.values()):
            adapters.append(m.NetworkAdapter(
                node=node, name=net.name, network=net, ip_address=f"10.{octet}.0.{10 + node.node_id}",
                gateway=net.gateway, speed_mbps=net.speed_mbps))
    m.NetworkAdapter.objects.bulk_create(adapters)
    m.VirtualSwitch.objects.bulk_create([
        m.VirtualSwitch(node=n, name="ConvergedSwitch") for n in node_objs])
    m.ClusterAddress.objects.create(cluster=cluster, network=nets["Management"], ip_address="10.0.0.200")
    roles_by_net = {"Management": 3, "Cluster": 1, "Live Migration": 1, "Storage": 0}
    for i, (net_name, net) in enumerate(sorted(nets.items(), key=lambda kv: kv[1].subnet), start=1):
        m.ClusterNetwork.objects.create(cluster=cluster, network=net, name=f"Cluster Network {i}",
                                        role=roles_by_net[net_name], metric=1000 * i)
    csv_count = max(1, math.ceil(vms / VMS_PER_CSV))
    luns = m.Disk.objects.bulk_create(
        [m.Disk(lab=lab, name="Witness", size_bytes=1 * GB, drive_letter="Q")]
        + [m.Disk(lab=lab, name=f"CSV{i:02d}", size_bytes=10 * TB, used_bytes=0, throughput_mib_s=800)
           for i in range(1, csv_count + 1)])
    m.DiskPath.objects.bulk_create([
        m.DiskPath(disk=lun, node=node, disk_number=j)
        for node in node_objs for j, lun in enumerate(luns, start=1)])
    owner_node = node_objs[0]
    cdisks = m.ClusterDisk.objects.bulk_create(
        [m.ClusterDisk(cluster=cluster, disk=luns[0], name="Cluster Disk 1",
                       assignment=m.ClusterDisk.Assignment.WITNESS, owner_node=owner_node)]
        + [m.ClusterDisk(cluster=cluster, disk=lun, name=f"Cluster Disk {i}",
                         assignment=m.ClusterDisk.Assignment.CSV, csv_number=i - 1,
                         owner_node=node_objs[(i - 2) % nodes])
           for i, lun in enumerate(luns[1:], start=2)])
    profiles = list(workload.PROFILES)
    priorities = [m.Role.Priority.HIGH, m.Role.Priority.MEDIUM, m.Role.Priority.MEDIUM, m.Role.Priority.LOW]
    role_objs, vm_specs = [], []
    for i in range(1, vms + 1):
        host = node_objs[(i - 1) % nodes]
        running = rng.random() < 0.9
        role_objs.append(m.Role(cluster=cluster, name=f"VM{i:04d}", type=m.Role.Type.VIRTUAL_MACHINE,
                                state=m.Role.State.ONLINE if running else m.Role.State.OFFLINE,
                                owner_node=host, priority=rng.choice(priorities)))
        vm_specs.append((host, running))
    role_objs = m.Role.objects.bulk_create(role_objs, batch_size=1000)
    vm_objs = []
    for i, (role, (host, running)) in enumerate(zip(role_objs, vm_specs)):
        csv = cdisks[1 + i // VMS_PER_CSV]
        folder = rf"C:\ClusterStorage\Volume{csv.csv_number}\{role.name}"
        vm_objs.append(m.VirtualMachine(
            lab=lab, name=role.name, host_node=host, role=role,
            state=m.VirtualMachine.State.RUNNING if running else m.VirtualMachine.State.OFF,
            generation=2, memory_mb=rng.choice([2048, 4096, 4096, 8192]), vcpus=rng.choice([1, 2, 4]),
            guest_os="Windows Server 2019 Datacenter", configuration_path=folder,
            configuration_disk_id=csv.disk_id, virtual_switch="ConvergedSwitch",
            workload=rng.choice(profiles),
            started_at=start - timedelta(hours=rng.randint(1, 2000)) if running else None))
    vm_objs = m.VirtualMachine.objects.bulk_create(vm_objs, batch_size=1000)
    m.VirtualHardDisk.objects.bulk_create([
        m.VirtualHardDisk(virtual_machine=vm, path=rf"{vm.configuration_path}\{vm.name}.vhdx",
                          disk_id=vm.configuration_disk_id, format="VHDX", kind="Dynamic",
                          max_size_bytes=60 * GB, file_size_bytes=rng.randint(12, 40) * GB,
                          controller="SCSI 0:0")
        for vm in vm_objs], batch_size=1000)
    resources = []
    for vm in vm_objs:
        state = m.Resource.State.ONLINE if vm.state == m.VirtualMachine.State.RUNNING else m.Resource.State.OFFLINE
        resources.append(m.Resource(role_id=vm.role_id, name=f"Virtual Machine Configuration {vm.name}",
                                    type=m.Resource.Type.VM_CONFIGURATION, state=state, virtual_machine=vm))
        resources.append(m.Resource(role_id=vm.role_id, name=f"Virtual Machine {vm.name}",
                                    type=m.Resource.Type.VIRTUAL_MACHINE, state=state, virtual_machine=vm))
    resources = m.Resource.objects.bulk_create(resources, batch_size=2000)
    Dep = m.Resource.depends_on.through
    Dep.objects.bulk_create([
        Dep(from_resource_id=resources[k + 1].pk, to_resource_id=resources[k].pk)
        for k in range(0, len(resources), 2)], batch_size=2000)
    return lab
