export interface LogFinding { file: string; line: number; what: string; excerpt: string }
export declare function logFiles(dir: string, sinceMs?: number): string[];
export declare function scanLogs(files: string[], secrets?: string[]): LogFinding[];
