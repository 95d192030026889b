package org.sessiongrid.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
            "jetty/modules/session-store-sessiongrid.mod", "jetty/etc/sessions/sessiongrid/session-store.xml",
            "jetty/start.d/session-store-sessiongrid.ini",
            "jetty/lib/sessiongrid/sessiongrid-jetty-" + V + ".jar", "jetty/lib/sessiongrid/sessiongrid-core-" + V + ".jar",
            "jetty/lib/sessiongrid/sessiongrid-jgroups-config-" + V + ".jar",
            "stacks/udp.xml", "stacks/tcp.xml", "stacks/kubernetes.xml", "stacks/tls.xml",
            "docs/configuration.md", "docs/operations.md", "README.md",
            "samples/sessiongrid-sample.war", "bin/sessiongrid", "lib/sessiongrid-cli-" + V + ".jar"}) {
            assertTrue(tar.containsKey(ROOT + f), "missing " + f + " in the archive; it holds " + tar.keySet());
        }
        // The Jetty module's [files] name the jars it expects in lib/sessiongrid: they must be there,
        // or start.jar would try to download them.
        String mod = new String(tar.get(ROOT + "jetty/modules/session-store-sessiongrid.mod"), StandardCharsets.UTF_8);
        for (String line : mod.split("\n")) {
            if (line.startsWith("maven://")) {
                String file = line.substring(line.indexOf('|') + 1).trim()
                        .replace("${sessiongrid.version}", V).replace("${sessiongrid.jgroups.version}", jgroupsVersion(tar));
                assertTrue(tar.containsKey(ROOT + "jetty/" + file), "the Jetty module expects " + file);
            }
        }
        String context = new String(tar.get(ROOT + "tomcat/conf/context.xml"), StandardCharsets.UTF_8);
        assertTrue(context.contains("<Manager className=\"org.sessiongrid.tomcat.SessionGridManager\""), context);
        String script = new String(tar.get(ROOT + "bin/sessiongrid"), StandardCharsets.UTF_8);
        assertTrue(script.startsWith("#!/bin/sh") && script.contains("VERSION=\"" + V + "\""), script);
    }

    private static String jgroupsVersion(Map<String, byte[]> tar) {
        return tar.keySet().stream().filter(n -> n.contains("jetty/lib/sessiongrid/jgroups-")).findFirst()
                .map(n -> n.substring(n.lastIndexOf("jgroups-") + 8, n.length() - 4)).orElse("?");
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
