package org.sessiongrid.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The BOM names every module the project publishes, nothing else, at the project's version: a module
 * added to the build without a line in {@code bom/pom.xml} fails here, as does a BOM left at an old
 * version. A module that sets {@code maven.deploy.skip} (the test-only modules) is not published.
 */
class BomTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void theBomManagesEveryPublishedModuleAtTheProjectVersion() throws Exception {
        Document root = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("bom/pom.xml"));
        String version = child(root.getDocumentElement(), "version");
        assertEquals(version, child(bom.getDocumentElement(), "version"), "the BOM's version");

        Set<String> published = new TreeSet<>();
        for (String module : children(childElement(root.getDocumentElement(), "modules"), "module")) {
            Document pom = read(ROOT.resolve(module).resolve("pom.xml"));
            Element project = pom.getDocumentElement();
            Element properties = childElement(project, "properties");
            boolean skipped = properties != null && "true".equals(child(properties, "maven.deploy.skip"));
            if (!module.equals("bom") && !skipped) {
                published.add(child(project, "artifactId"));
            }
        }
        Set<String> managed = new TreeSet<>();
        Element management = childElement(bom.getDocumentElement(), "dependencyManagement");
        for (Element d : elements(childElement(management, "dependencies"), "dependency")) {
            assertEquals("org.sessiongrid", child(d, "groupId"), "a BOM entry's groupId");
            assertEquals("${project.version}", child(d, "version"), "the version of " + child(d, "artifactId"));
            managed.add(child(d, "artifactId"));
        }
        assertEquals(published, managed, "modules published by the build vs artifacts the BOM manages");
    }

    private static Document read(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        try (var in = Files.newInputStream(pom)) {
            return f.newDocumentBuilder().parse(in);
        }
    }

    private static Element childElement(Element parent, String name) {
        List<Element> found = elements(parent, name);
        return found.isEmpty() ? null : found.get(0);
    }

    private static String child(Element parent, String name) {
        Element e = childElement(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }


    private static List<String> children(Element parent, String name) {
        return elements(parent, name).stream().map(e -> e.getTextContent().trim()).toList();
    }

    private static List<Element> elements(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE && nodes.item(i).getNodeName().equals(name)) {
                out.add((Element) nodes.item(i));
            }
        }
        return out;
    }
}
