from django.urls import include, path

from . import incidents, moves, roles, storage, views

app_name = "console"

cluster_patterns = [
    path("", views.ClusterView.as_view(), name="cluster"),
    path("roles/", views.RolesView.as_view(), name="roles"),
    path("roles/<int:pk>/", views.RolesView.as_view(), name="role"),
    path("roles/selection/", moves.RolesSelectionView.as_view(), name="roles-selection"),
    path("roles/move/<str:kind>/", moves.MultiMoveView.as_view(), name="roles-move"),
    path("roles/<int:pk>/dependency-report/", views.DependencyReportView.as_view(),
         name="role-dependency-report"),
    path("roles/<int:pk>/move/<str:kind>/", moves.RoleMoveView.as_view(), name="role-move"),
    path("roles/<int:pk>/move-storage/", moves.RoleStorageMoveView.as_view(), name="role-move-storage"),
    path("roles/<int:pk>/cancel-move/", moves.CancelMoveView.as_view(), name="role-cancel-move"),
    path("roles/<int:pk>/power/", roles.RolePowerView.as_view(), name="role-power"),
    path("roles/<int:pk>/resources/<int:resource>/<str:state>/", roles.ResourceStateView.as_view(),
         name="resource-state"),
    path("roles/<int:pk>/remove/", roles.RoleRemoveView.as_view(), name="role-remove"),
    path("roles/<int:pk>/properties/", roles.RolePropertiesView.as_view(), name="role-properties"),
    path("nodes/", views.NodesView.as_view(), name="nodes"),
    path("nodes/<int:pk>/", views.NodesView.as_view(), name="node"),
    path("nodes/<int:pk>/evict/", storage.EvictView.as_view(), name="node-evict"),
    path("nodes/<int:pk>/action/", storage.NodeActionView.as_view(), name="node-action"),
    path("nodes/<int:pk>/adapters/<int:adapter>/", storage.AdapterView.as_view(), name="node-adapter"),
    path("destroy/", storage.DestroyView.as_view(), name="destroy"),
    path("action/", storage.ClusterActionView.as_view(), name="cluster-action"),
    path("properties/", storage.ClusterPropertiesView.as_view(), name="cluster-properties"),
    path("storage/disks/<int:pk>/simulate/", storage.DiskFaultView.as_view(), name="disk-fault"),
    path("networks/<int:pk>/simulate/", storage.NetworkFaultView.as_view(), name="network-fault"),
    path("storage/", views.DisksView.as_view(tree_item="storage"), name="storage"),
    path("storage/disks/", views.DisksView.as_view(), name="disks"),
    path("storage/disks/<int:pk>/", views.DisksView.as_view(), name="disk"),
    path("storage/disks/<int:pk>/add-to-csv/", storage.AddToCsvView.as_view(), name="disk-csv-add"),
    path("storage/disks/<int:pk>/remove-from-csv/", storage.RemoveFromCsvView.as_view(), name="disk-csv-remove"),
    path("enable-csv/", storage.EnableCsvView.as_view(), name="enable-csv"),
    path("cluster-shared-volumes/add-storage/", storage.AddStorageView.as_view(), name="csv-add-storage"),
    path("cluster-shared-volumes/", views.CsvView.as_view(), name="csvs"),
    path("cluster-shared-volumes/<int:pk>/", views.CsvView.as_view(), name="csv"),
    path("networks/", views.NetworksView.as_view(), name="networks"),
    path("networks/live-migration-settings/", storage.LiveMigrationSettingsView.as_view(),
         name="live-migration-settings"),
    path("networks/<int:pk>/", views.NetworksView.as_view(), name="network"),
    path("events/", views.EventsView.as_view(), name="events"),
    path("incidents/", incidents.IncidentView.as_view(), name="incidents"),
    path("incidents/<int:pk>/", incidents.IncidentView.as_view(), name="incident"),
    path("events/<int:pk>/", views.EventsView.as_view(), name="event"),
]

urlpatterns = [
    path("", views.LabListView.as_view(), name="lab-list"),
    path("labs/<int:lab>/", views.RootView.as_view(), name="root"),
    path("labs/<int:lab>/clock/", moves.ClockView.as_view(), name="clock"),
    path("labs/<int:lab>/servers/", views.ServersView.as_view(), name="servers"),
    path("labs/<int:lab>/servers/<int:pk>/", views.ServersView.as_view(), name="server"),
    path("labs/<int:lab>/clusters/<int:cluster>/", include(cluster_patterns)),
]
