package org.sessiongrid.grid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the {@code clusterSecretFile} setting's file: UTF-8, one secret per line, the first sealing
 * and every one opening; blank lines and lines starting with '#' are skipped, and each line is
 * trimmed (an editor's trailing newline or spaces must not change the key).
 */
final class ClusterSecretFile {

    private ClusterSecretFile() {
    }

    /**
     * @throws IllegalArgumentException naming the setting and the file if it cannot be read or holds
     *         no secret (never quoting its content)
     */
    static List<String> read(String path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of(path), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("SessionGrid setting clusterSecretFile=\"" + path + "\" is invalid: the file"
                    + " cannot be read (" + e.getClass().getSimpleName() + "); it must be readable by the user running"
                    + " the container and hold the cluster secret on its first line");
        }
        List<String> secrets = lines.stream().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("SessionGrid setting clusterSecretFile=\"" + path + "\" is invalid: the file"
                    + " holds no secret (one per line; blank lines and lines starting with '#' are skipped)");
        }
        return secrets;
    }
}
