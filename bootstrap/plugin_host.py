"""mito's plugin host: Ansible's controller-side Python plugins (filters, tests, lookups) for one run.

The controller starts it when a template first needs a Python plugin and keeps it for the whole run. It
speaks mito's framing and codec (mito.core) over two FIFOs it makes in the directory named last in its
argv (see main); the controller blocks on each call, as Ansible's templating is synchronous too. While a call runs, either
side may call the other (a lookup asks the controller to template a value; that template may use a Python
filter again), so both wait for a reply by serving the calls that arrive meanwhile.

Values arrive as the codec's types; unsafe, vault and undefined values travel as one-key dicts the
controller's playbook/plugins/_wire.ts writes ("$unsafe", "$vault", "$undefined"; "$escaped" wraps a user
dict that only looks like one) and become AnsibleUnsafeText, AnsibleVaultEncryptedUnicode and
AnsibleUndefined here when ansible-core is importable (plain str and jinja2's StrictUndefined otherwise).
ansible-core is imported only when a plugin needs it: the host itself starts on the stdlib alone.
"""

import importlib
import json
import os
import sys
import types

from mito import core

MARKS = ("$unsafe", "$vault", "$undefined", "$escaped")
_ansible = {}  # what was imported from ansible-core, on first need


def ansible_importable():
    """Whether `import ansible` would find the package (looked for on sys.path: importlib.util, which
    find_spec needs, costs a noticeable part of the host's start)."""
    if "importable" not in _ansible:
        _ansible["importable"] = "ansible" in sys.modules or any(
            os.path.isfile(os.path.join(p or ".", "ansible", "__init__.py")) for p in sys.path)
    return _ansible["importable"]


def _unsafe_types():
    if "unsafe" not in _ansible:
        _ansible["unsafe"] = None
        if ansible_importable():
            from ansible.utils.unsafe_proxy import AnsibleUnsafeText
            from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode
            _ansible["unsafe"] = (AnsibleUnsafeText, AnsibleVaultEncryptedUnicode)
    return _ansible["unsafe"]


class _PlainVault(object):
    """The .vault of a vault value whose plaintext the controller sent along (the secrets stay there)."""

    def __init__(self, plaintext):
        self.plaintext = plaintext

    def decrypt(self, ciphertext, obj=None, filename=None):
        return self.plaintext.encode("utf-8")


def _undefined(name, message):
    cls = None
    if ansible_importable():
        from ansible.template.native_helpers import AnsibleUndefined as cls
    else:
        try:
            from jinja2 import StrictUndefined as cls
        except ImportError:
            cls = None
    if cls is None:
        raise ValueError(message)
    return cls(hint=message, name=name)


def from_wire(v):
    """The marked values of a decoded body as Python's Ansible types."""
    t = type(v)
    if t is list:
        return [from_wire(x) for x in v]
    if t is tuple:
        return tuple(from_wire(x) for x in v)
    if t is not dict:
        return v
    if len(v) == 1:
        k = next(iter(v))
        if k in MARKS:
            x = v[k]
            if k == "$escaped":
                return dict((kk, from_wire(vv)) for kk, vv in x.items())
            if k == "$undefined":
                return _undefined(x[0], x[1])
            types_ = _unsafe_types()
            if k == "$unsafe":
                return types_[0](x) if types_ else x
            if not types_:
                return x[1]
            out = types_[1](x[0])
            out.vault = _PlainVault(x[1])
            return out
    return dict((k, from_wire(x)) for k, x in v.items())


def to_wire(v):
    """A result as the codec's types, with unsafe, vault and undefined values marked for the controller."""
    t = type(v)
    if t is str or t is int or t is float or t is bool or v is None:
        return v
    if t is list or t is set or t is frozenset or isinstance(v, types.GeneratorType):
        return [to_wire(x) for x in v]
    if t is tuple:
        return tuple(to_wire(x) for x in v)
    if isinstance(v, dict):
        out = dict((k, to_wire(x)) for k, x in v.items())
        if len(out) == 1 and type(next(iter(out))) is str and next(iter(out))[:1] == "$":
            return {"$escaped": out}
        return out
    if getattr(t, "__UNSAFE__", False) and isinstance(v, str):
        return {"$unsafe": str(v)}
    if t.__name__ == "AnsibleVaultEncryptedUnicode":
        return {"$vault": [v._ciphertext.decode("utf-8"), str(v.data)]}
    if _is_undefined(v):
        return {"$undefined": [getattr(v, "_undefined_name", None) or "", v._undefined_message]}
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, tuple):
        return tuple(to_wire(x) for x in v)
    if isinstance(v, list) or hasattr(v, "__next__"):
        return [to_wire(x) for x in v]
    raise TypeError("a plugin returned a value of type %s, which mito cannot hold" % t.__name__)


def _is_undefined(v):
    for c in type(v).__mro__:
        if c.__name__ == "Undefined" and c.__module__.startswith("jinja2"):
            return True
    return False


def _error(e):
    """A plugin's exception as the controller needs it: the class (Ansible names it in lookup errors), the
    message as str() gives it, and which of Ansible's families it belongs to."""
    import traceback
    names = [c.__module__ + "." + c.__name__ for c in type(e).__mro__]
    kind = "other"
    if _is_undefined_error(e) or (isinstance(e, ControllerError) and e.data.get("kind") == "undefined"):
        kind = "undefined"
    elif "ansible.errors.AnsibleLookupError" in names:
        kind = "lookup"
    elif "ansible.errors.AnsibleOptionsError" in names:
        kind = "options"
    elif "ansible.errors.AnsibleError" in names:
        kind = "ansible"
    elif isinstance(e, TypeError):
        kind = "type"
    mod = type(e).__module__
    cls = "<class '%s'>" % (type(e).__name__ if mod == "builtins" else mod + "." + type(e).__name__)
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return core.RemoteError(type(e).__name__, str(e), tb, {"kind": kind, "cls": cls})


def _is_undefined_error(e):
    return any(c.__name__ == "UndefinedError" and c.__module__.startswith("jinja2") for c in type(e).__mro__)


class Channel(object):
    """Frames over two fds, with calls in both directions while a reply is awaited."""

    def __init__(self, rfd, wfd, host):
        self.rfd = rfd
        self.wfd = wfd
        self.host = host
        self.buf = bytearray()
        self.next_id = core.FIRST_REPLY_HANDLE

    def send(self, handle, value, reply_to=0):
        data = memoryview(core.frame(0, 1, 0, handle, reply_to, value))
        while data:
            data = data[os.write(self.wfd, data):]

    def read(self):
        while True:
            if len(self.buf) >= core.HEADER_SIZE:
                magic, ef, dst, src, auth, handle, reply_to, n = core.HEADER.unpack_from(self.buf, 0)
                if magic != core.MAGIC:
                    raise core.ProtocolError("bad magic from the controller")
                if len(self.buf) >= core.HEADER_SIZE + n:
                    body = bytes(self.buf[core.HEADER_SIZE:core.HEADER_SIZE + n])
                    del self.buf[:core.HEADER_SIZE + n]
                    return handle, reply_to, core.decode_body(body, ef & 15)
            chunk = os.read(self.rfd, 1 << 16)
            if not chunk:
                raise EOFError()
            self.buf += chunk

    def serve_one(self, handle, reply_to, value):
        if handle != core.CALL:
            raise core.ProtocolError("unexpected frame for handle %d" % handle)
        method, marked, args = value[0], value[1], value[2:]
        if marked:
            args = from_wire(args)
        try:
            result = to_wire(getattr(self.host, "op_" + method)(*args))
        except BaseException as e:  # every plugin failure is the caller's to report
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            result = _error(e)
        self.send(reply_to, result)

    def ask(self, method, *args):
        """A call to the controller; the calls it makes back meanwhile are served."""
        my_id = self.next_id
        self.next_id += 1
        self.send(core.CALL, [method] + list(args), my_id)
        while True:
            handle, reply_to, value = self.read()
            if handle == my_id:
                value = from_wire(value)
                if isinstance(value, core.RemoteError):
                    raise ControllerError(value.message, value.data or {})
                return value
            self.serve_one(handle, reply_to, value)


class ControllerError(Exception):
    """The controller could not answer a call (a template failed): raised in the plugin, as Ansible would."""

    def __init__(self, message, data):
        Exception.__init__(self, message)
        self.data = data


class _CollectionFinder(object):
    """`ansible_collections.*` from the collection roots, when ansible-core is not there to do it."""

    def __init__(self, roots):
        self.roots = roots

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "ansible_collections":
            return None
        import importlib.util
        dirs = [os.path.join(r, "ansible_collections") for r in self.roots]
        spec = importlib.util.spec_from_loader(fullname, loader=None, is_package=True)
        spec.submodule_search_locations = [d for d in dirs if os.path.isdir(d)]
        return spec


class Host(object):
    def __init__(self):
        self.roots = []
        self.plugins = []  # id -> callable or (lookup class, fqcn, path)
        self.jinja = {}  # (kind, key) -> {name: id}
        self.finder = None
        self.channel = None

    # -- set-up -------------------------------------------------------------------------------------------

    def op_configure(self, roots):
        self.roots = list(roots)
        return {"pid": os.getpid(), "python": list(sys.version_info[:3]), "ansible": ansible_importable()}

    def _finder(self):
        if self.finder is not None:
            return
        self.finder = True
        if ansible_importable():
            import warnings
            # ansible.plugins.loader configures a finder of its own unless one is there: this one is
            warnings.filterwarnings("ignore", message="AnsibleCollectionFinder has already been configured")
            from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
            _AnsibleCollectionFinder(paths=self.roots, scan_sys_paths=False)._install()
        else:
            sys.modules.pop("ansible_collections", None)
            sys.meta_path.insert(0, _CollectionFinder(self.roots))

    def _load_file(self, modname, path):
        import importlib.util
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(modname, None)
            raise
        return module

    def _add(self, obj):
        self.plugins.append(obj)
        return len(self.plugins) - 1

    # -- filters and tests --------------------------------------------------------------------------------

    def op_jinja_legacy(self, kind, dirs):
        """Filters or tests from plugin folders (playbook- and role-adjacent, configured), as Ansible loads
        them: *.py of each folder by name, a file name seen before skipped, the first definer of a name
        wins. Returns {name: id} and the warnings Ansible would show."""
        key = (kind, "\0".join(dirs))
        if key in self.jinja:
            return [self.jinja[key], []]
        self._finder()
        names, warnings, seen = {}, [], set()
        cls_name, method = ("FilterModule", "filters") if kind == "filter" else ("TestModule", "tests")
        for d in dirs:
            try:
                files = sorted(f for f in os.listdir(d) if f.endswith(".py"))
            except OSError:
                continue
            for f in files:
                base = f[:-3]
                if base == "__init__" or base in seen:
                    continue
                seen.add(base)
                path = os.path.join(d, f)
                try:
                    module = self._load_file("mito_%s_%d_%s" % (kind, abs(hash(path)), base), path)
                except Exception as e:
                    warnings.append("Skipping plugin (%s), cannot load: %s" % (path, e))
                    continue
                try:
                    table = getattr(module, cls_name)()
                    table = getattr(table, method)()
                    items = list(table.items())
                except Exception:
                    continue
                for name, fn in items:
                    if "." not in name and name not in names:
                        names[name] = self._add(fn)
        self.jinja[key] = names
        return [names, warnings]

    def op_jinja_collection(self, kind, collection):
        """A collection's filters or tests as Ansible's Jinja2 loader finds them: every module of
        plugins/<kind>/ in name order, a later module's function replacing an earlier one of the same name."""
        key = (kind, collection)
        if key in self.jinja:
            return [self.jinja[key], []]
        self._finder()
        names, warnings = {}, []
        import pkgutil
        pkg_name = "ansible_collections.%s.plugins.%s" % (collection, kind)
        cls_name, method = ("FilterModule", "filters") if kind == "filter" else ("TestModule", "tests")
        try:
            pkg = importlib.import_module(pkg_name)
        except ImportError:
            pkg = None
        for _, modname, ispkg in (pkgutil.iter_modules(pkg.__path__, pkg_name + ".") if pkg else ()):
            if ispkg:
                continue
            try:
                module = importlib.import_module(modname)
                items = list(getattr(getattr(module, cls_name)(), method)().items())
            except Exception as e:
                short = collection + "." + modname.rsplit(".", 1)[1]
                warnings.append("Skipping %s plugins in %s'; an error occurred while loading: %s" % (kind, short, e))
                continue
            for name, fn in items:
                names[name] = self._add(fn)
        self.jinja[key] = names
        return [names, warnings]

    def op_jinja_builtin(self, kind, name):
        """Jinja2's own filter or test of that name (urlize, …), as Ansible's environment still has them."""
        import jinja2.filters
        import jinja2.tests
        fn = (jinja2.filters.FILTERS if kind == "filter" else jinja2.tests.TESTS).get(name)
        return None if fn is None else self._add(fn)

    def op_call(self, plugin, value, args, kwargs):
        fn = self.plugins[plugin]
        passed = _pass_arg(fn)
        if passed:
            # a filter decorated with Jinja2's pass_environment/pass_context gets them first
            env = self._environment()
            extra = env if passed == "environment" else env.from_string("").new_context({})
            if passed == "eval_context":
                from jinja2.nodes import EvalContext
                extra = EvalContext(env)
            out = fn(extra, value, *args, **kwargs)
        else:
            out = fn(value, *args, **kwargs)
        return list(out) if isinstance(out, types.GeneratorType) else out

    def _environment(self):
        """Ansible's Jinja2 environment (its own filters and tests), else a plain Jinja2 one."""
        if "environment" not in _ansible:
            if ansible_importable():
                from ansible.parsing.dataloader import DataLoader
                from ansible.template import Templar
                _ansible["environment"] = Templar(loader=DataLoader()).environment
            else:
                import jinja2
                _ansible["environment"] = jinja2.Environment()
        return _ansible["environment"]

    # -- lookups ------------------------------------------------------------------------------------------

    def op_lookup_load(self, fqcn, load_name, path, collection):
        """A lookup plugin's class, with its documented options registered (under the name Ansible's
        loader gives it: the module's for a collection plugin) as Ansible's loader does."""
        self._finder()
        if collection:
            module = importlib.import_module(load_name)
        else:
            module = self._load_file("mito_lookup_%d_%s" % (abs(hash(path)), load_name), path)
        cls = getattr(module, "LookupModule")
        _register_options(load_name, module, path)
        return self._add((cls, fqcn, load_name, path))

    def op_lookup_run(self, plugin, terms, kwargs, basedir):
        cls, fqcn, load_name, path = self.plugins[plugin]
        loader = _loader(basedir)
        templar = _Templar(self.channel, loader, self._environment)
        instance = object.__new__(cls)
        for attr, value in (("_original_path", path), ("_load_name", load_name), ("_redirected_names", []),
                            ("ansible_aliases", [fqcn]), ("ansible_name", fqcn)):
            setattr(instance, attr, value)
        cls.__init__(instance, loader=loader, templar=templar)
        return instance.run(terms, variables=templar.available_variables, **kwargs)


    # -- action plugins -----------------------------------------------------------------------------------

    def op_action_run(self, load_name, path, collection, task, play_context, basedir):
        """Runs an action plugin's run() for one task on one host. What it asks of the target (modules,
        commands, files) goes to the controller as calls, which carries them out through mito's contexts
        there (as Mitogen's ActionModuleMixin redirects them). Returns the result, or {"$raised": …} with
        Ansible's failure for an exception (the task executor's wording)."""
        self._finder()
        try:
            if collection:
                module = importlib.import_module(load_name)
            else:
                module = self._load_file("mito_action_%d_%s" % (abs(hash(path)), load_name), path)
            cls = _bridged(getattr(module, "ActionModule"))
            loader = _loader(basedir)
            templar = _Templar(self.channel, loader, self._environment)
            import ansible.plugins.loader
            shared = _SharedLoaders(ansible.plugins.loader, self.channel)
            pc = _PlayContext(play_context)
            action = cls(_Task(task), _Connection(self.channel, pc), pc, loader, templar, shared)
            action._mito_channel = self.channel
            return action.run(task_vars=templar.available_variables)
        except Exception as e:
            import traceback
            names = [c.__module__ + "." + c.__name__ for c in type(e).__mro__]
            if "ansible.errors.AnsibleAction" in names:
                return e.result  # AnsibleActionFail/Skip carry the task's result, as Ansible returns it
            if "ansible.errors.AnsibleError" in names:
                return {"$raised": {"msg": _text(e)}}
            return {"$raised": {"msg": "Unexpected failure during module execution: %s" % _text(e),
                                "exception": "".join(traceback.format_exception(type(e), e, e.__traceback__)),
                                "stdout": ""}}


def _text(e):
    from ansible.module_utils.common.text.converters import to_native
    return to_native(e, nonstring="simplerepr")


class _Attrs(object):
    """Attributes from a dict (the controller's view of the task and of the play context)."""

    def __init__(self, values):
        self.__dict__.update(values)


class _Task(_Attrs):
    """What action plugins read of Ansible's Task."""

    def get_name(self, include_role_fqcn=True):
        return self.name or self.action

    def get_search_path(self):
        return list(self.search_path)


class _PlayContext(_Attrs):
    """Ansible's PlayContext as action plugins read it (the controller sends every attribute 2.14's has)."""

    def __init__(self, values):
        _Attrs.__init__(self, values)
        # sets in Ansible's; lists on the wire
        self.only_tags = set(self.only_tags)
        self.skip_tags = set(self.skip_tags)


class _Become(object):
    """The become plugin's options ActionBase reads (_fixup_perms2 asks who the become user is)."""

    def __init__(self, play_context):
        self.name = play_context.become_method
        self._options = {"become_user": play_context.become_user, "become_flags": play_context.become_flags}

    def get_option(self, name, hostvars=None, playcontext=None):
        return self._options[name]


class _Connection(object):
    """The connection as action plugins see it: mito's context for the task's host carries out what they
    ask, as the login user (Ansible's connection applies no become of its own), with the exact bytes."""
    transport = "mito"
    has_pipelining = True

    def __init__(self, channel, play_context):
        from ansible.plugins.loader import shell_loader
        # ansible-core's POSIX shell plugin: the commands ActionBase builds through it (chmod, setfacl, test
        # -e, join_path) are the ones Ansible runs
        self._shell = shell_loader.get("sh")
        self._channel = channel
        self.become = _Become(play_context) if play_context.become else None

    def exec_command(self, cmd, in_data=None, sudoable=True):
        if in_data is not None and not isinstance(in_data, bytes):
            in_data = in_data.encode("utf-8", "surrogateescape")
        rc, out, err = self._channel.ask("exec_command", cmd, None if in_data is None else {"$bytes": in_data})
        return rc, bytes(out), bytes(err)

    def put_file(self, in_path, out_path):
        self._channel.ask("put_file", out_path, None, in_path)

    def fetch_file(self, in_path, out_path):
        self._channel.ask("fetch_file", in_path, out_path)


class _SharedLoaders(object):
    """ansible.plugins.loader as action plugins reach it (self._shared_loader_obj), but the action plugins
    it gives are bridged too: an action that runs another (ansible's shell runs command) still reaches the
    target through mito."""

    def __init__(self, shared, channel):
        self._shared = shared
        self.action_loader = _BridgingActionLoader(shared.action_loader, channel)

    def __getattr__(self, name):
        return getattr(self._shared, name)


class _BridgingActionLoader(object):
    def __init__(self, loader, channel):
        self._loader = loader
        self._channel = channel

    def get(self, name, *args, **kwargs):
        action = self._loader.get(name, *args, **kwargs)
        if action is None or isinstance(action, _ActionBridge):
            return action
        # the loader's instance, as it set it up, under the bridged class (whose layout may not allow
        # assigning __class__)
        bridged = object.__new__(_bridged(type(action)))
        bridged.__dict__.update(action.__dict__)
        bridged._mito_channel = self._channel
        return bridged

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _bridged(cls):
    """The plugin's class with ActionBase's target-facing methods carried out by the controller."""
    return type(cls.__name__, (_ActionBridge, cls), {"__module__": cls.__module__})


class _ActionBridge(object):
    """Ahead of ActionBase in the plugin's MRO: what touches the target is asked of the controller, which
    runs it through mito's persistent contexts (mito's module path: resolution, become, check and diff)."""

    def _execute_module(self, module_name=None, module_args=None, tmp=None, task_vars=None,
                        persist_files=False, delete_remote_tmp=None, wrap_async=False):
        if module_name is None:
            module_name = self._task.action
        if module_args is None:
            module_args = self._task.args
        return self._mito_channel.ask("execute_module", module_name, to_wire(dict(module_args)),
                                      bool(wrap_async))

    def _low_level_execute_command(self, cmd, sudoable=True, in_data=None, executable=None,
                                   encoding_errors="surrogate_then_replace", chdir=None):
        out = self._mito_channel.ask("low_level_execute_command", cmd, bool(sudoable), in_data, executable,
                                     chdir)
        out.setdefault("stdout_lines", out.get("stdout", "").splitlines())
        out.setdefault("stderr_lines", out.get("stderr", "").splitlines())
        return out

    def _transfer_data(self, remote_path, data):
        if isinstance(data, dict):
            data = json.dumps(data)
        if not isinstance(data, bytes):
            data = data.encode("utf-8", "surrogateescape")
        self._mito_channel.ask("put_file", remote_path, {"$bytes": data}, None)
        return remote_path

    def _transfer_file(self, local_path, remote_path):
        self._mito_channel.ask("put_file", remote_path, None, local_path)
        return remote_path

    def _make_tmp_path(self, remote_user=None):
        path = self._mito_channel.ask("make_tmp_path")
        self._connection._shell.tmpdir = path
        return path

    def _remove_tmp_path(self, tmp_path, force=False):
        if tmp_path:
            self._low_level_execute_command("rm -rf '%s' >/dev/null 2>&1" % tmp_path.replace("'", "'\\''"))
        if tmp_path == self._connection._shell.tmpdir:
            self._connection._shell.tmpdir = None

    def _remote_expand_user(self, path, sudoable=True, pathsep=None):
        if not path.startswith("~"):
            return path
        return self._mito_channel.ask("expand_user", path, bool(sudoable))


def _pass_arg(fn):
    """What a Jinja2 filter or test asks to be passed first: "environment", "context", "eval_context"."""
    passed = getattr(fn, "jinja_pass_arg", None)  # Jinja2 3
    if passed is not None:
        return getattr(passed, "name", None)
    for attr, name in (("environmentfilter", "environment"), ("contextfilter", "context"),
                       ("evalcontextfilter", "eval_context")):
        if getattr(fn, attr, False):  # Jinja2 2
            return name
    return None


def _register_options(name, module, path):
    """Ansible's loader reads a plugin's DOCUMENTATION so that get_option() knows its options."""
    import ansible.constants as C
    from ansible.parsing.yaml.loader import AnsibleLoader
    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import add_fragments
    if C.config.has_configuration_definition("lookup", name):
        return
    doc = AnsibleLoader(getattr(module, "DOCUMENTATION", ""), file_name=path).get_single_data()
    if doc:
        add_fragments(doc, path, fragment_loader=fragment_loader, is_module=False)
        if isinstance(doc.get("options"), dict):
            C.config.initialize_plugin_configuration_definitions("lookup", name, doc["options"])


def _loader(basedir):
    from ansible.parsing.dataloader import DataLoader
    loader = DataLoader()
    loader.set_basedir(basedir)
    return loader


class Variables(object):
    """A lookup's `variables`: the task's variables, read from the controller one name at a time."""

    def __init__(self, channel):
        self._channel = channel
        self._cache = {}

    def __getitem__(self, name):
        if name not in self._cache:
            found, value = self._channel.ask("var", name)
            if not found:
                raise KeyError(name)
            self._cache[name] = value
        return self._cache[name]

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name):
        try:
            self[name]
            return True
        except KeyError:
            return False

    def keys(self):
        return list(self._channel.ask("var_names"))

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        return [self[k] for k in self.keys()]

    def copy(self):
        return dict(self.items())

    def __deepcopy__(self, memo):
        # a plugin's own copy of the task's variables (community.general.dependent makes one): all of them
        return self.copy()


class _Templar(object):
    """What lookups use of Ansible's Templar, carried out by mito's templating on the controller."""

    def __init__(self, channel, loader, environment):
        self._channel = channel
        self._loader = loader
        self._environment = environment
        self._available_variables = Variables(channel)

    @property
    def environment(self):
        """Ansible's Jinja2 environment: its filters and tests (ansible.utils' index_of takes its tests)."""
        return self._environment()

    @property
    def available_variables(self):
        return self._available_variables

    @available_variables.setter
    def available_variables(self, value):
        self._available_variables = value

    def template(self, variable, convert_bare=False, preserve_trailing_newlines=True, escape_backslashes=True,
                 fail_on_undefined=None, overrides=None, convert_data=True, static_vars=None, cache=None,
                 disable_lookups=False):
        opts = {}
        if fail_on_undefined is not None:
            opts["fail_on_undefined"] = bool(fail_on_undefined)
        if not isinstance(self._available_variables, Variables):
            # the plugin set variables of its own (Ansible's lookups do, e.g. community.general.dependent)
            opts["variables"] = to_wire(dict(self._available_variables))
        return self._channel.ask("template", to_wire(variable), opts)

    def set_temporary_context(self, available_variables=None, **kwargs):
        import contextlib

        @contextlib.contextmanager
        def swapped():
            saved = self._available_variables
            if available_variables is not None:
                self._available_variables = available_variables
            try:
                yield
            finally:
                self._available_variables = saved
        return swapped()

    def is_template(self, data):
        return isinstance(data, str) and ("{{" in data or "{%" in data or "{#" in data)

    is_possibly_template = is_template


def main():
    """Makes the FIFOs in the directory named last in argv (see playbook/plugins/_channel.ts), then serves."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the controller ends the host (by pid) when it ends
    d = sys.argv[-1]
    req, resp = os.path.join(d, "req"), os.path.join(d, "resp")
    os.mkfifo(req, 0o600)
    os.mkfifo(resp, 0o600)
    wfd = os.open(resp, os.O_RDWR)
    first = os.open(req, os.O_RDWR)
    with open(os.path.join(d, "ready.tmp"), "w") as f:
        f.write(str(os.getpid()))
    os.rename(os.path.join(d, "ready.tmp"), os.path.join(d, "ready"))
    host = Host()
    channel = host.channel = Channel(first, wfd, host)
    handle, reply_to, value = channel.read()
    # the controller's writer is there now (and the FIFO's name gone): the request FIFO is opened again,
    # read-only, through /proc, so that the controller's end closing is seen as EOF
    try:
        channel.rfd = os.open("/proc/self/fd/%d" % first, os.O_RDONLY)
        os.close(first)
    except OSError:
        pass
    channel.serve_one(handle, reply_to, value)
    while True:
        try:
            handle, reply_to, value = channel.read()
        except EOFError:
            break
        channel.serve_one(handle, reply_to, value)
    os._exit(0)
