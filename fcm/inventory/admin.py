"""Django admin for every inventory model: a trainer builds a custom lab here."""
from django.contrib import admin

from . import models as m


class NetworkAdapterInline(admin.TabularInline):
    model = m.NetworkAdapter
    extra = 0


class MigrationNetworkInline(admin.TabularInline):
    model = m.MigrationNetwork
    extra = 0


class VirtualSwitchInline(admin.TabularInline):
    model = m.VirtualSwitch
    extra = 0


class DiskPathInline(admin.TabularInline):
    model = m.DiskPath
    extra = 0
    autocomplete_fields = ["node"]


class ClusterAddressInline(admin.TabularInline):
    model = m.ClusterAddress
    extra = 0


class ClusterNetworkInline(admin.TabularInline):
    model = m.ClusterNetwork
    extra = 0


class ResourceInline(admin.TabularInline):
    model = m.Resource
    extra = 0
    fields = ["name", "type", "state", "cluster_disk", "virtual_machine"]
    autocomplete_fields = ["cluster_disk", "virtual_machine"]


class PreferredOwnerInline(admin.TabularInline):
    model = m.PreferredOwner
    extra = 0
    autocomplete_fields = ["node"]


class VirtualHardDiskInline(admin.TabularInline):
    model = m.VirtualHardDisk
    extra = 0
    raw_id_fields = ["parent_file"]


@admin.register(m.Lab)
class LabAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "owner", "speed", "source", "created_at"]
    search_fields = ["name", "title"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["owner"]


@admin.register(m.Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "netbios_name", "lab"]
    list_filter = ["lab"]
    search_fields = ["name"]


@admin.register(m.Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "subnet", "gateway", "purpose", "speed_mbps", "lab"]
    list_filter = ["lab", "purpose"]
    search_fields = ["name", "subnet"]


@admin.register(m.Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ["name", "lab", "os_version", "edition", "install_option", "memory_mb",
                    "power_state", "cluster", "state"]
    list_filter = ["lab", "os_version", "cluster", "state", "power_state"]
    search_fields = ["name"]
    list_select_related = ["lab", "cluster__domain"]
    inlines = [NetworkAdapterInline, VirtualSwitchInline, MigrationNetworkInline]


@admin.register(m.MigrationNetwork)
class MigrationNetworkAdmin(admin.ModelAdmin):
    list_display = ["node", "subnet", "priority"]
    list_filter = ["node__lab"]
    list_select_related = ["node"]


@admin.register(m.NetworkAdapter)
class NetworkAdapterAdmin(admin.ModelAdmin):
    list_display = ["node", "name", "network", "ip_address", "prefix_length", "connected"]
    list_filter = ["node__lab", "connected"]
    search_fields = ["node__name", "name", "ip_address"]
    list_select_related = ["node", "network"]


@admin.register(m.VirtualSwitch)
class VirtualSwitchAdmin(admin.ModelAdmin):
    list_display = ["node", "name", "kind", "adapter"]
    list_filter = ["node__lab", "kind"]
    search_fields = ["node__name", "name"]
    list_select_related = ["node", "adapter__node"]


@admin.register(m.Disk)
class DiskAdmin(admin.ModelAdmin):
    list_display = ["name", "lab", "size_bytes", "bus_type", "scsi3_persistent_reservation",
                    "drive_letter"]
    list_filter = ["lab", "bus_type"]
    search_fields = ["name"]
    inlines = [DiskPathInline]


@admin.register(m.FileShare)
class FileShareAdmin(admin.ModelAdmin):
    list_display = ["name", "server", "local_path", "capacity_bytes", "lab"]
    list_filter = ["lab"]
    search_fields = ["name", "server__name"]
    list_select_related = ["server", "lab"]
    autocomplete_fields = ["server", "full_access"]


@admin.register(m.DiskPath)
class DiskPathAdmin(admin.ModelAdmin):
    list_display = ["disk", "node", "disk_number", "online"]
    list_filter = ["disk__lab", "online"]
    list_select_related = ["disk", "node"]


@admin.register(m.Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "lab", "os_version", "state", "quorum_type"]
    list_filter = ["lab", "os_version", "state"]
    search_fields = ["name"]
    list_select_related = ["domain", "lab"]
    inlines = [ClusterAddressInline, ClusterNetworkInline]


@admin.register(m.ClusterAddress)
class ClusterAddressAdmin(admin.ModelAdmin):
    list_display = ["ip_address", "cluster", "network"]
    list_select_related = ["cluster__domain", "network"]


@admin.register(m.PreferredOwner)
class PreferredOwnerAdmin(admin.ModelAdmin):
    list_display = ["role", "rank", "node"]
    list_select_related = ["role", "node"]


@admin.register(m.ClusterNetwork)
class ClusterNetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "network", "role", "state", "metric"]
    list_filter = ["cluster", "state"]
    list_select_related = ["cluster__domain", "network"]


@admin.register(m.ClusterDisk)
class ClusterDiskAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "disk", "assignment", "role", "state", "owner_node"]
    list_filter = ["cluster", "assignment", "state"]
    search_fields = ["name", "disk__name"]
    list_select_related = ["cluster__domain", "disk", "role", "owner_node"]


@admin.register(m.Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "type", "state", "owner_node", "priority"]
    list_filter = ["cluster", "type", "state", "priority"]
    search_fields = ["name"]
    list_select_related = ["cluster__domain", "owner_node"]
    inlines = [PreferredOwnerInline, ResourceInline]


@admin.register(m.Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "type", "state"]
    list_filter = ["type", "state"]
    search_fields = ["name", "role__name"]
    list_select_related = ["role"]
    filter_horizontal = ["depends_on"]


@admin.register(m.VirtualMachine)
class VirtualMachineAdmin(admin.ModelAdmin):
    list_display = ["name", "lab", "host_node", "state", "memory_mb", "vcpus", "workload", "role"]
    list_filter = ["lab", "state", "workload"]
    search_fields = ["name"]
    list_select_related = ["lab", "host_node", "role"]
    inlines = [VirtualHardDiskInline]
    raw_id_fields = ["current_checkpoint"]


@admin.register(m.VirtualHardDisk)
class VirtualHardDiskAdmin(admin.ModelAdmin):
    list_display = ["path", "virtual_machine", "disk", "max_size_bytes"]
    search_fields = ["path", "virtual_machine__name"]
    list_select_related = ["virtual_machine", "disk"]
    raw_id_fields = ["parent_file"]


@admin.register(m.Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    list_display = ["name", "virtual_machine", "type", "vm_state", "taken_at"]
    search_fields = ["name", "virtual_machine__name"]
    list_select_related = ["virtual_machine"]
    raw_id_fields = ["virtual_machine", "parent"]


@admin.register(m.CheckpointFile)
class CheckpointFileAdmin(admin.ModelAdmin):
    list_display = ["path", "hard_disk", "checkpoint", "file_size_bytes"]
    search_fields = ["path"]
    list_select_related = ["hard_disk", "checkpoint"]
    raw_id_fields = ["hard_disk", "parent", "checkpoint"]


@admin.register(m.ClusterEvent)
class ClusterEventAdmin(admin.ModelAdmin):
    list_display = ["sim_time", "level", "event_id", "cluster", "node", "role", "description"]
    list_filter = ["lab", "cluster", "level", "event_id"]
    search_fields = ["description"]
    list_select_related = ["cluster__domain", "node", "role"]


class ReplicaAuthorizationInline(admin.TabularInline):
    model = m.ReplicaAuthorization
    extra = 0


@admin.register(m.WanLink)
class WanLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "lab", "site_a", "site_b", "bandwidth_mbps", "up"]
    list_filter = ["lab", "up"]


@admin.register(m.ReplicaServer)
class ReplicaServerAdmin(admin.ModelAdmin):
    list_display = ["name", "lab", "node", "broker_role", "enabled", "kerberos", "certificate", "allow_any"]
    list_filter = ["lab", "enabled"]
    list_select_related = ["lab", "node", "broker_role"]
    inlines = [ReplicaAuthorizationInline]


@admin.register(m.ReplicaAuthorization)
class ReplicaAuthorizationAdmin(admin.ModelAdmin):
    list_display = ["primary_server", "server", "storage_location", "trust_group"]
    list_select_related = ["server"]


@admin.register(m.Replication)
class ReplicationAdmin(admin.ModelAdmin):
    list_display = ["primary_vm", "replica_server", "state", "frequency_s", "successful_cycles", "missed_cycles",
                    "pending_mib", "last_sync_at"]
    list_filter = ["lab", "state"]
    list_select_related = ["primary_vm", "replica_server"]
    raw_id_fields = ["primary_vm", "replica_vm", "test_vm"]


@admin.register(m.RecoveryPoint)
class RecoveryPointAdmin(admin.ModelAdmin):
    list_display = ["replication", "sim_time", "app_consistent"]
    list_select_related = ["replication__primary_vm", "replication__replica_server"]


admin.site.site_header = "Failover Cluster Manager: lab administration"
admin.site.site_title = "FCM lab administration"
