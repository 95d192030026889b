package org.sessiongrid.bench.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sessiongrid.bench.contender.Contender;
import org.sessiongrid.bench.measure.LoadFigures;
import org.sessiongrid.bench.run.FarmScaleRun;

/** The farm scale section judges the lines it draws, and says where they cross only where they do. */
class FarmScaleSectionTest {

    @TempDir
    Path dir;

    private static FarmScaleRun.Point sg(int nodes, double cpu) {
        return point(nodes, Contender.SESSIONGRID_TOMCAT, cpu);
    }

    private static FarmScaleRun.Point delta(int nodes, double cpu) {
        return point(nodes, Contender.DELTA, cpu);
    }

    private static FarmScaleRun.Point point(int nodes, Contender c, double cpu) {
        return new FarmScaleRun.Point(nodes, c,
                new LoadFigures(1_000, 5, 20, 30, 20_000, 0, 0, 0, 0, 0, 20_000, cpu, 20, -1), null);
    }

    private String section(List<FarmScaleRun.Point> points) throws Exception {
        StringBuilder md = new StringBuilder();
        FarmScaleSection.write(md, points, null, dir);
        return md.toString();
    }

    @Test
    void linesThatSwapOrderCrossBetweenTheSizes() {
        // SessionGrid 330 flat, DeltaManager 300 -> 360: equal at 6 + 3 * 30 / 60 = 7.5 nodes
        String s = FarmScaleSection.crossing(List.of(sg(3, 330), delta(3, 300), sg(6, 330), delta(6, 300),
                sg(9, 330), delta(9, 360)));
        assertTrue(s.contains("about 7.50 nodes") && s.contains("SessionGrid costs the farm less"), s);
    }

    @Test
    void linesThatKeepTheirOrderDoNotCross() {
        String s = FarmScaleSection.crossing(List.of(sg(3, 330), delta(3, 300), sg(9, 340), delta(9, 320)));
        assertTrue(s.contains("do not cross") && s.contains("DeltaManager costs the farm less"), s);
        assertTrue(FarmScaleSection.crossing(List.of(sg(3, 330), delta(3, 300))).contains("not measured"));
    }

    @Test
    void theAimsAreJudgedOnTheFigures() throws Exception {
        String flat = section(List.of(sg(3, 300), delta(3, 280), sg(6, 320), delta(6, 330), sg(9, 340), delta(9, 400)));
        assertTrue(flat.contains("largest difference 13.33 %") && flat.contains("| yes |\n| DeltaManager"), flat);
        assertTrue(flat.lines().anyMatch(l -> l.startsWith("| DeltaManager's grows") && l.endsWith("| yes |")), flat);
        String steep = section(List.of(sg(3, 300), delta(3, 280), sg(9, 400), delta(9, 260)));
        assertTrue(steep.lines().anyMatch(l -> l.startsWith("| SessionGrid's farm CPU") && l.endsWith("| **no** |")), steep);
        assertTrue(steep.lines().anyMatch(l -> l.startsWith("| DeltaManager's grows") && l.endsWith("| **no** |")), steep);
    }

    @Test
    void aFarmWithoutAnswersIsNoEvidence() throws Exception {
        String s = section(List.of(sg(3, 300), new FarmScaleRun.Point(9, Contender.SESSIONGRID_TOMCAT, null, "start timed out"),
                delta(3, 280)));
        assertTrue(s.contains("failed: start timed out"), s);
        assertTrue(s.lines().anyMatch(l -> l.startsWith("| SessionGrid's farm CPU") && l.endsWith("| – |")), s);
    }
}
