# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and set ZooKeeper's ``MaxClientCnxnsPerHost`` through JMX, with the JDK the host already has.

A small Java program (JAVA_SOURCE) is written to a private temporary directory and run with the JDK's
single-file source launcher (JDK 11+) or compiled with javac first (JDK 8-10). It attaches to the
server's JVM (``VirtualMachine.attach(pid).startLocalManagementAgent()``: the JDK's local connector,
which takes connections from this host only) or connects to a JMX service URL, finds the server bean
with a writable ``MaxClientCnxnsPerHost``, reads it, sets it when asked and reads it back. Requests go
in on stdin (a password never shows on a command line), the answer comes back as one marked JSON line.
The whole run has one deadline; at the deadline the program's process group is killed; the temporary
directory is removed whatever happens.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import tempfile
import time

from ansible_collections.alertops.remediation.plugins.module_utils import safeio
from ansible_collections.alertops.remediation.plugins.module_utils.zkjvm import JmxFailure

JAVA_CLASS = "AlertopsZkJmx"
MARKER = "ALERTOPS-JMX "
REASONS = ("no_jdk", "attach_refused", "not_zookeeper", "bean_not_found", "verify_failed", "jmx_error",
           "invalid_option")
# Environment variables through which a JVM picks up options (agents, ports) it was not given.
_JAVA_ENV_OPTIONS = ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH")

JAVA_SOURCE = r"""
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.MalformedURLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.Attribute;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

// Written by alertops.remediation's zookeeper_jmx module; Java 8 source level on purpose.
public class AlertopsZkJmx {
    static final String ATTRIBUTE = "MaxClientCnxnsPerHost";

    static final class Failure extends Exception {
        final String reason;

        Failure(String reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    public static void main(String[] args) {
        Map<String, String> out = new LinkedHashMap<String, String>();
        out.put("java_version", quote(System.getProperty("java.version")));
        JMXConnector connector = null;
        try {
            Map<String, String> in = input();
            String address = in.containsKey("url") ? in.get("url") : attach(in.get("pid"));
            connector = connect(address, in);
            MBeanServerConnection server = connector.getMBeanServerConnection();
            ObjectName bean = findBean(server);
            out.put("bean", quote(bean.toString()));
            int before = value(server, bean);
            out.put("before", String.valueOf(before));
            int after = before;
            if (in.containsKey("set")) {
                int wanted = Integer.parseInt(in.get("set"));
                if (wanted != before) {
                    try {
                        server.setAttribute(bean, new Attribute(ATTRIBUTE, Integer.valueOf(wanted)));
                    } catch (Exception e) {
                        throw new Failure("verify_failed", "setting " + ATTRIBUTE + " to " + wanted + " on " + bean
                                + " failed: " + describe(e));
                    }
                    after = value(server, bean);
                    if (after != wanted) {
                        throw new Failure("verify_failed", ATTRIBUTE + " of " + bean + " reads " + after
                                + " after it was set to " + wanted);
                    }
                }
            }
            out.put("after", String.valueOf(after));
            out.put("ok", "true");
        } catch (Failure f) {
            out.put("ok", "false");
            out.put("reason", quote(f.reason));
            out.put("message", quote(f.getMessage()));
        } catch (Throwable t) {
            out.put("ok", "false");
            out.put("reason", quote("jmx_error"));
            out.put("message", quote(describe(t)));
        } finally {
            if (connector != null) {
                try {
                    connector.close();
                } catch (Exception e) {
                    // the answer is known; a failed close changes nothing in the server
                }
            }
        }
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, String> e : out.entrySet()) {
            json.append(json.length() > 1 ? ", " : "").append(quote(e.getKey())).append(": ").append(e.getValue());
        }
        System.out.println("ALERTOPS-JMX " + json.append("}"));
        System.out.flush();
        System.exit(0); // RMI leaves non-daemon threads behind
    }

    static Map<String, String> input() throws IOException {
        Map<String, String> in = new HashMap<String, String>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = reader.readLine()) != null) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                in.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return in;
    }

    static String attach(String pid) throws Failure {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(pid);
        } catch (AttachNotSupportedException e) {
            throw new Failure("attach_refused", "the JVM " + pid + " refused the attach: " + describe(e));
        } catch (IOException e) {
            throw new Failure("attach_refused", "attaching to the JVM " + pid + " failed: " + describe(e));
        } catch (SecurityException e) {
            throw new Failure("attach_refused", "attaching to the JVM " + pid + " is not allowed: " + describe(e));
        }
        try {
            return vm.startLocalManagementAgent();
        } catch (IOException e) {
            throw new Failure("attach_refused", "the JVM " + pid + " did not start its local management agent: "
                    + describe(e));
        } finally {
            try {
                vm.detach();
            } catch (IOException e) {
                // the agent is started or refused already; detaching only closes this side
            }
        }
    }

    static JMXConnector connect(String address, Map<String, String> in) throws Failure {
        Map<String, Object> env = new HashMap<String, Object>();
        if (in.containsKey("user")) {
            String password = in.containsKey("password") ? in.get("password") : "";
            env.put(JMXConnector.CREDENTIALS, new String[] {in.get("user"), password});
        }
        String where = in.containsKey("url") ? address : "the local management agent of JVM " + in.get("pid");
        try {
            return JMXConnectorFactory.connect(new JMXServiceURL(address), env);
        } catch (MalformedURLException e) {
            throw new Failure("invalid_option", "jmx_url is not a JMX service URL: " + describe(e));
        } catch (IOException e) {
            throw new Failure("attach_refused", "the JMX connection to " + where + " failed: " + describe(e));
        } catch (SecurityException e) {
            throw new Failure("attach_refused", "the JMX connection to " + where + " was refused: " + describe(e));
        }
    }

    static ObjectName findBean(MBeanServerConnection server) throws Exception {
        Set<ObjectName> names = server.queryNames(new ObjectName("org.apache.ZooKeeperService:*"), null);
        if (names.isEmpty()) {
            throw new Failure("not_zookeeper", "no org.apache.ZooKeeperService bean: this JVM runs no ZooKeeper"
                    + " server (or it is still starting)");
        }
        List<ObjectName> writable = new ArrayList<ObjectName>();
        for (ObjectName name : names) {
            MBeanAttributeInfo[] attributes;
            try {
                attributes = server.getMBeanInfo(name).getAttributes();
            } catch (javax.management.InstanceNotFoundException e) {
                continue; // unregistered between the query and now: the server changed its role
            }
            for (MBeanAttributeInfo attribute : attributes) {
                if (ATTRIBUTE.equals(attribute.getName()) && attribute.isReadable() && attribute.isWritable()) {
                    writable.add(name);
                }
            }
        }
        if (writable.size() == 1) {
            return writable.get(0);
        }
        throw new Failure("bean_not_found", (writable.isEmpty() ? "no" : "more than one") + " ZooKeeper bean with a"
                + " writable " + ATTRIBUTE + " (" + (writable.isEmpty() ? names : writable) + "): the server may be"
                + " electing a leader");
    }

    static int value(MBeanServerConnection server, ObjectName bean) throws Exception {
        Object value = server.getAttribute(bean, ATTRIBUTE);
        if (!(value instanceof Integer)) {
            throw new Failure("bean_not_found", ATTRIBUTE + " of " + bean + " is not an int: " + value);
        }
        return ((Integer) value).intValue();
    }

    static String describe(Throwable t) {
        StringBuilder text = new StringBuilder();
        for (Throwable c = t; c != null && text.length() < 2000; c = c.getCause()) {
            text.append(text.length() > 0 ? "; caused by " : "").append(c.getClass().getName());
            if (c.getMessage() != null) {
                text.append(": ").append(c.getMessage());
            }
        }
        return text.toString();
    }

    static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
"""


def commands(jdk, workdir, wait_ms):
    """[(purpose, argv)] that compile (JDK 8-10) and run the program in ``workdir``, each JVM bounded."""
    source = os.path.join(workdir, JAVA_CLASS + ".java")
    # Small, quick, nothing left behind: no perf data file in /tmp, crash logs and temp files in workdir.
    flags = ["-Xms8m", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
             "-XX:ErrorFile=" + os.path.join(workdir, "hs_err_%p.log"), "-Djava.io.tmpdir=" + workdir,
             "-Dsun.tools.attach.attachTimeout=%d" % wait_ms,
             "-Dsun.rmi.transport.connectionTimeout=%d" % wait_ms,
             "-Dsun.rmi.transport.tcp.handshakeTimeout=%d" % wait_ms,
             "-Dsun.rmi.transport.tcp.responseTimeout=%d" % wait_ms]
    if jdk["launch"] == "source":
        return [("run", [jdk["java"]] + flags + [source])]
    classpath = os.pathsep.join([workdir] + jdk["classpath"])
    return [("compile", [jdk["javac"], "-J-XX:-UsePerfData", "-nowarn", "-cp", classpath, "-d", workdir, source]),
            ("run", [jdk["java"]] + flags + ["-cp", classpath, JAVA_CLASS])]


def request_text(pid=None, url=None, user=None, password=None, set_value=None):
    """The program's stdin: one key=value per line (values never hold a line break: checked by the module)."""
    lines = []
    for key, value in (("pid", pid), ("url", url), ("user", user), ("password", password), ("set", set_value)):
        if value is not None:
            lines.append("%s=%s" % (key, value))
    return "\n".join(lines) + "\n"


def parse_answer(stdout, stderr, java):
    """The program's JSON answer; JmxFailure when it failed, printed nothing usable, or could not run."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            try:
                answer = json.loads(line[len(MARKER):])
            except ValueError:
                break
            if not isinstance(answer, dict):
                break
            if answer.get("ok") is True and all(isinstance(answer.get(k), int) for k in ("before", "after")):
                return answer
            reason = answer.get("reason")
            if answer.get("ok") is False and reason in REASONS:
                raise JmxFailure(reason, str(answer.get("message")))
            break
    tail = (stderr or stdout).strip()[-1500:]
    raise JmxFailure("no_jdk", "%s could not run the attach program (a JDK with the attach API is needed): %s"
                     % (java, tail or "no output"))


def _env(workdir):
    env = dict((k, v) for k, v in os.environ.items() if k not in _JAVA_ENV_OPTIONS)
    env["TMPDIR"] = workdir
    env["LC_ALL"] = "C"
    return env


def _run(argv, text, deadline, env, cwd):
    """(returncode, stdout, stderr) of argv fed ``text``, each output its last 64 KiB (the answer comes
    last); JmxFailure('timeout') at the deadline, after its whole process group is killed, and
    JmxFailure('no_jdk') when it cannot be started at all."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise JmxFailure("timeout", "the deadline passed before %s could start" % argv[0])
    try:
        return safeio.run(argv, cwd, left, stdin=text, env=env)
    except safeio.CommandTimeout:
        raise JmxFailure("timeout", "%s did not finish within the deadline: killed" % os.path.basename(argv[0]))
    except OSError as exc:
        raise JmxFailure("no_jdk", "%s cannot be run: %s" % (argv[0], exc.strerror or exc))


def run_program(jdk, request, deadline):
    """Run the program with ``jdk`` (a zkjvm.jdk_of dict) on ``request`` (request_text) before the
    monotonic ``deadline``. Returns its answer: before, after (ints), bean, java_version."""
    workdir = tempfile.mkdtemp(prefix="alertops-zkjmx-")
    try:
        with open(os.path.join(workdir, JAVA_CLASS + ".java"), "w") as handle:
            handle.write(JAVA_SOURCE)
        env = _env(workdir)
        wait_ms = max(int((deadline - time.monotonic()) * 1000), 1)
        for purpose, argv in commands(jdk, workdir, wait_ms):
            rc, out, err = _run(argv, request if purpose == "run" else "", deadline, env, workdir)
            if purpose == "compile" and rc != 0:
                raise JmxFailure("no_jdk", "%s could not compile the attach program: %s"
                                 % (jdk["javac"], err.strip()[-1500:]))
        return parse_answer(out, err, jdk["java"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
