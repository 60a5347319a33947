# Runs one of ansible-core's inventory plugins (a collection's, or one in an inventory_plugins/ folder) for
# mito's inventory, on the controller, when ansible-core is installed: the inventory so far arrives as JSON
# on stdin, the plugin parses its source into it, and the inventory it leaves goes back as JSON on stdout.
# The plugin's own warnings go to stderr through Ansible's display, as ansible-inventory shows them.
import json
import os
import sys


def _inventory(data, InventoryData):
    inv = InventoryData()
    for g in data["groups"]:
        inv.add_group(g["name"])
        group = inv.groups[g["name"]]
        group.vars = dict(g["vars"])
        if g.get("priority") is not None:
            group.set_priority(g["priority"])
    for g in data["groups"]:
        for child in g["children"]:
            inv.add_child(g["name"], child)
    for h in data["hosts"]:
        inv.add_host(h["name"])
        host = inv.hosts[h["name"]]
        host.vars = dict(h["vars"])
        for group in h["groups"]:
            inv.add_host(h["name"], group)
    inv.processed_sources = list(data["processed"])
    return inv


def _result(inv):
    groups = []
    for name, g in inv.groups.items():
        groups.append({
            "name": name,
            "vars": g.vars,
            "priority": g.priority,
            "children": [c.name for c in g.child_groups],
            "hosts": [h.name for h in g.hosts],
        })
    hosts = [{"name": name, "vars": h.vars} for name, h in inv.hosts.items()]
    return {"groups": groups, "hosts": hosts}


def main():
    req = json.load(sys.stdin)
    try:
        from ansible import context
        from ansible.errors import AnsibleError
        from ansible.inventory.data import InventoryData
        from ansible.module_utils.common.collections import ImmutableDict
        from ansible.parsing.dataloader import DataLoader
        from ansible.plugins.loader import add_all_plugin_dirs, inventory_loader
    except ImportError:
        json.dump({"missing": True}, sys.stdout)
        return
    try:  # ansible-core 2.15 and later load collections' plugins only once asked to
        from ansible.plugins.loader import init_plugin_loader
    except ImportError:
        init_plugin_loader = None
    if init_plugin_loader is not None:
        init_plugin_loader()
    # the run's extra variables, where BaseInventoryPlugin.parse reads them (use_extra_vars)
    context.CLIARGS = ImmutableDict(extra_vars=(json.dumps(req["extra_vars"]),))
    for d in req["basedirs"]:
        if os.path.isdir(d):
            add_all_plugin_dirs(d)
    if "probe" in req:  # which of these enabled names ansible-core has a plugin for
        json.dump({"loadable": [n for n in req["probe"] if inventory_loader.get(n)]}, sys.stdout)
        return
    path, name = req["path"], req["plugin"]
    try:
        inv = _inventory(req["inventory"], InventoryData)
        inv.current_source = path
        plugin = inventory_loader.get(name)
        if not plugin:
            raise AnsibleError("inventory config '{0}' specifies unknown plugin '{1}'".format(path, name))
        try:
            wants = bool(plugin.verify_file(path))
        except Exception:
            wants = False
        if not wants and req.get("enabled"):
            # an enabled plugin that does not want the source passes it on, as the inventory manager does
            json.dump({"declined": True}, sys.stdout)
            return
        if not wants:
            raise AnsibleError(
                "inventory source '{0}' could not be verified by inventory plugin '{1}'".format(path, name))
        loader = DataLoader()
        # as InventoryManager parses: from the plugin's cache unless --flush-cache
        plugin.parse(inv, loader, path, cache=req.get("cache", True))
        try:
            plugin.update_cache_if_changed()
        except AttributeError:
            pass
    except Exception as e:  # Ansible's inventory manager reports any exception as the source's failure
        json.dump({"error": str(e)}, sys.stdout)
        return
    json.dump(_result(inv), sys.stdout, default=str)


if __name__ == "__main__":
    main()
