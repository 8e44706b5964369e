static int lexer_next(struct lexer *lx);
