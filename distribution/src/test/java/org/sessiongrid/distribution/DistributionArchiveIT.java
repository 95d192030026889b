package org.sessiongrid.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import org.junit.jupiter.api.Test;

/** What a user unpacks: both archives hold the same layout, with both adapters and what they need. */
class DistributionArchiveIT {

    private static final String V = System.getProperty("sessiongrid.it.version");
    private static final String ROOT = "sessiongrid-" + V + "/";

    @Test
    void tarballAndZipHoldBothAdaptersSamplesStacksDocsAndTheScript() throws IOException {
        Path target = Path.of(System.getProperty("sessiongrid.it.target"));
        Map<String, byte[]> tar = readTarGz(target.resolve("sessiongrid-" + V + ".tar.gz"));
        Map<String, byte[]> zip = readZip(target.resolve("sessiongrid-" + V + ".zip"));
        assertEquals(tar.keySet(), zip.keySet(), "the tarball and the zip differ");

        for (String f : new String[] {
            "tomcat/lib/sessiongrid-tomcat-" + V + ".jar", "tomcat/conf/context.xml", "tomcat/bin/setenv.sh",
            "tomcat9/lib/sessiongrid-tomcat9-" + V + ".jar",
            "jetty/modules/session-store-sessiongrid.mod", "jetty/etc/sessions/sessiongrid/session-store.xml",
            "jetty/start.d/session-store-sessiongrid.ini",
            "jetty/lib/sessiongrid/sessiongrid-jetty-" + V + ".jar", "jetty/lib/sessiongrid/sessiongrid-core-" + V + ".jar",
            "jetty/lib/sessiongrid/sessiongrid-jgroups-config-" + V + ".jar",
            "stacks/udp.xml", "stacks/tcp.xml", "stacks/kubernetes.xml", "stacks/tls.xml",
            "docs/configuration.md", "docs/operations.md", "README.md",
            "samples/sessiongrid-sample.war", "bin/sessiongrid", "lib/sessiongrid-cli-" + V + ".jar"}) {
            assertTrue(tar.containsKey(ROOT + f), "missing " + f + " in the archive; it holds " + tar.keySet());
        }
        // The stacks a farm can use, not the in-JVM one of the project's tests.
        assertTrue(tar.keySet().stream().noneMatch(n -> n.startsWith(ROOT + "stacks/test-loopback")),
                "test-loopback.xml is for tests only: " + tar.keySet());

        // Copied over $JETTY_BASE, the module finds every jar it puts on the server class path in
        // lib/sessiongrid/ (start.jar downloads nothing): each [lib] line, with the versions its own
        // [ini] defaults give, names a jar of the archive.
        String mod = new String(tar.get(ROOT + "jetty/modules/session-store-sessiongrid.mod"), StandardCharsets.UTF_8);
        assertTrue(!mod.contains("maven://"), "the module would download jars:\n" + mod);
        Map<String, String> defaults = new TreeMap<>();
        for (String line : section(mod, "ini")) {
            int eq = line.indexOf("?=");
            if (eq > 0) {
                defaults.put(line.substring(0, eq).trim(), line.substring(eq + 2).trim());
            }
        }
        List<String> libs = section(mod, "lib");
        assertTrue(libs.size() >= 4, "the module's [lib] section: " + libs);
        for (String lib : libs) {
            String file = lib;
            for (Map.Entry<String, String> d : defaults.entrySet()) {
                file = file.replace("${" + d.getKey() + "}", d.getValue());
            }
            assertTrue(file.startsWith("lib/sessiongrid/") && tar.containsKey(ROOT + "jetty/" + file),
                    "the Jetty module expects " + file + " (from " + lib + "); jetty/ holds "
                            + tar.keySet().stream().filter(n -> n.startsWith(ROOT + "jetty/")).toList());
        }
        assertEquals(V, defaults.get("sessiongrid.version"), "the module's default version is the archive's");
        String context = new String(tar.get(ROOT + "tomcat/conf/context.xml"), StandardCharsets.UTF_8);
        assertTrue(context.contains("<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""), context);
        String script = new String(tar.get(ROOT + "bin/sessiongrid"), StandardCharsets.UTF_8);
        assertTrue(script.startsWith("#!/bin/sh") && script.contains("VERSION=\"" + V + "\""), script);
    }

    /** The non-comment lines of a section ({@code [name]}) of a Jetty module file. */
    private static List<String> section(String mod, String name) {
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String line : mod.split("\n")) {
            String l = line.trim();
            if (l.startsWith("[") && l.endsWith("]")) {
                in = l.equals("[" + name + "]");
            } else if (in && !l.isEmpty() && !l.startsWith("#")) {
                lines.add(l);
            }
        }
        return lines;
    }

    /** A small ustar reader: enough for our archive (regular files, no long names). */
    static Map<String, byte[]> readTarGz(Path p) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512) {
                String name = field(header, 0, 100);
                if (name.isEmpty()) {
                    break;
                }
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
                byte[] data = in.readNBytes((int) size);
                in.skipNBytes((512 - size % 512) % 512);
                char type = (char) header[156];
                if (type == 'L') { // GNU long name: the next header's name is this data
                    String longName = new String(data, StandardCharsets.UTF_8).trim();
                    in.readNBytes(header, 0, 512);
                    long s2 = Long.parseLong(field(header, 124, 12).trim(), 8);
                    byte[] d2 = in.readNBytes((int) s2);
                    in.skipNBytes((512 - s2 % 512) % 512);
                    out.put(longName, d2);
                } else if (type == '0' || type == 0) {
                    out.put(name, data);
                }
            }
        }
        return out;
    }

    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    static Map<String, byte[]> readZip(Path p) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(p))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (!e.isDirectory()) {
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    in.transferTo(b);
                    out.put(e.getName(), b.toByteArray());
                }
            }
        }
        return out;
    }
}
