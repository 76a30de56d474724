-- Placeholder so this branch's 0005 applies; the lead replaces it with the real 0004 migration at merge.
SELECT 1;
