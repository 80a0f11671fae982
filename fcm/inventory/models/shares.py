"""SMB 3.0 file shares that hold virtual machines' files ("Hyper-V over SMB", Windows Server 2012 and later).

A share is a folder of a server's volume offered over SMB (`\\\\FS01\\VMs`). Hyper-V opens a VM's files
there with the host's own computer account, so each Hyper-V host that runs VMs from the share needs Full
Control on the share and on its folder (the two are kept equal here, as `New-SmbShare -FullAccess` with
`Set-SmbPathAcl` leaves them). Two hosts with Full Control on one share can live-migrate a VM between them
without moving its files (SMB live migration, "Move only the virtual machine").
"""
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce

from .. import ranges
from .vms import VirtualHardDisk

#: What Windows accepts in a share name: no \ / : * ? " < > | and at most 80 characters.
validate_share_name = RegexValidator(r'^[^\\/:*?"<>|]{1,80}$', 'A share name cannot contain \\ / : * ? " < > |.')


class FileShareQuerySet(models.QuerySet):
    def with_usage(self):
        """Each share with what its VMs' files take (`vm_bytes`), in the same query: a page listing shares asks
        for their free space without one query per share."""
        drives = models.Subquery(
            VirtualHardDisk.objects.filter(share=models.OuterRef("pk"))
            .values("share").annotate(b=models.Sum("file_size_bytes")).values("b"))
        frozen = models.Subquery(
            VirtualHardDisk.objects.filter(share=models.OuterRef("pk"))
            .values("share").annotate(b=models.Sum("chain__file_size_bytes")).values("b"))
        zero = models.Value(0, output_field=models.BigIntegerField())
        return self.annotate(vm_bytes=Coalesce(drives, zero) + Coalesce(frozen, zero))


class FileShare(models.Model):
    lab = models.ForeignKey("Lab", on_delete=models.CASCADE, related_name="file_shares")
    server = models.ForeignKey("Node", on_delete=models.CASCADE, related_name="shares",
                               help_text="The file server that offers the share.")
    name = models.CharField(max_length=80, validators=[validate_share_name])
    local_path = models.CharField("local path", max_length=260, help_text=r"The shared folder, e.g. E:\Shares\VMs.")
    capacity_bytes = models.PositiveBigIntegerField("volume size", validators=ranges.DISK_BYTES)
    #: What the volume holds besides the VMs' virtual hard disks (their files are counted from the VMs).
    other_used_bytes = models.PositiveBigIntegerField("other files", default=0, validators=ranges.USED_BYTES)
    throughput_mib_s = models.PositiveIntegerField(
        "volume throughput (MiB/s)", default=400, validators=ranges.DISK_THROUGHPUT,
        help_text="What the file server's volume sustains; a host also gets no more than its network to it.")
    full_access = models.ManyToManyField(
        "Node", blank=True, related_name="share_access",
        help_text="Computer accounts with Full Control on the share and its folder (the Hyper-V hosts).")

    class Meta:
        ordering = ["server__name", "name"]
        constraints = [models.UniqueConstraint(fields=["server", "name"], name="share_unique_name_per_server")]
        verbose_name = "file share"

    def __str__(self):
        return self.unc

    @property
    def unc(self):
        return f"\\\\{self.server.name}\\{self.name}"

    objects = FileShareQuerySet.as_manager()

    def used_bytes(self):
        """The volume's other files, the VMs' virtual hard disks on the share and the files their checkpoints froze."""
        if hasattr(self, "vm_bytes"):  # read with FileShare.objects.with_usage()
            return self.other_used_bytes + self.vm_bytes
        drives = self.hard_disks.aggregate(b=models.Sum("file_size_bytes"))["b"] or 0
        frozen = self.hard_disks.aggregate(b=models.Sum("chain__file_size_bytes"))["b"] or 0
        return self.other_used_bytes + drives + frozen

    @property
    def free_bytes(self):
        return max(self.capacity_bytes - self.used_bytes(), 0)

    def clean(self):
        if self.server_id and self.lab_id and self.server.lab_id != self.lab_id:
            raise ValidationError({"server": "The file server belongs to another lab."})
