/**
 * Plain-text tables and trees as the CLI prints them.
 */

/** A column: its header and the narrowest it may be (the spec's layouts). */
export interface Column {
  header: string;
  minWidth: number;
}

/**
 * Renders rows under headers. A column keeps its minimum width while every cell fits in
 * it with a space to spare (the spec's layouts); wider content gets three spaces after
 * the widest cell. The last column is not padded.
 */
export function renderTable(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((c, i) => {
    const widest = Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length));
    return widest + 1 <= c.minWidth ? c.minWidth : widest + 3;
  });
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join("")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join("\n");
}

/** A node of a printed tree. */
export interface TreeNode {
  name: string;
  children: TreeNode[];
}

/** Renders a tree with box-drawing branches, the root on the first line. */
export function renderTree(root: TreeNode): string {
  const lines = [root.name];
  const walk = (node: TreeNode, prefix: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${child.name}`);
      walk(child, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  walk(root, "");
  return lines.join("\n");
}
